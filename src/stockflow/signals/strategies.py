"""The built-in strategies, each vectorised over the whole series with TA-Lib (the library the
analysis context's indicators wrap): one pass of array operations, no loop per bar.

Every strategy states a stance per bar (buy, sell, or hold when neither rule holds or the
indicators are still warming up), a strength (how far past its threshold) and a confidence
(how many of its rules agree)."""

from __future__ import annotations

import numpy as np
import talib

from stockflow.signals.domain import BUY, HOLD, SELL, Rule, Sentiment, Series, Track, clip01

TREND, MOMENTUM, MEAN_REVERSION = "trend", "momentum", "mean_reversion"
BREAKOUT, VOLATILITY, SENTIMENT, ENSEMBLE = ("breakout", "volatility_regime",
                                             "news_sentiment", "ensemble")


def _stance(buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    return np.where(buy, BUY, np.where(sell, SELL, HOLD)).astype(np.int8)


def trend(s: Series, _: Sentiment) -> Track:
    """EMA(20) against SMA(50): above is an uptrend; confidence doubles when SMA(50) slopes the
    same way."""
    fast, slow = talib.EMA(s.close, 20), talib.SMA(s.close, 50)
    slope = slow - np.concatenate(([np.nan] * 5, slow[:-5]))
    buy, sell = fast > slow, fast < slow
    agree = np.where(buy, slope > 0, slope < 0)
    gap = np.abs(fast / slow - 1.0)
    values = {"ema20": fast, "sma50": slow}
    return Track(TREND, _stance(buy, sell), clip01(gap / 0.05), np.where(agree, 1.0, 0.5),
                 [Rule("ema20 > sma50", buy, values), Rule("ema20 < sma50", sell, values),
                  Rule("sma50 rising", buy & agree, {"sma50_change_5": slope}),
                  Rule("sma50 falling", sell & agree, {"sma50_change_5": slope})],
                 {"ema20": fast, "sma50": slow})


def momentum(s: Series, _: Sentiment) -> Track:
    """MACD(12, 26, 9) histogram and ROC(10): buy when either is positive and neither negative;
    confidence 1 when both agree."""
    _, _, hist = talib.MACD(s.close, 12, 26, 9)
    roc = talib.ROC(s.close, 10)
    up, down = (hist > 0).astype(int) + (roc > 0), (hist < 0).astype(int) + (roc < 0)
    buy, sell = (up > 0) & (down == 0), (down > 0) & (up == 0)
    conf = np.maximum(up, down) / 2.0
    strength = clip01(np.abs(roc) / 10.0)
    return Track(MOMENTUM, _stance(buy, sell), strength, np.where(buy | sell, conf, 0.0),
                 [Rule("macd histogram > 0", hist > 0, {"macd_hist": hist}),
                  Rule("macd histogram < 0", hist < 0, {"macd_hist": hist}),
                  Rule("roc10 > 0", roc > 0, {"roc10": roc}),
                  Rule("roc10 < 0", roc < 0, {"roc10": roc})],
                 {"macd_hist": hist, "roc10": roc})


def mean_reversion(s: Series, _: Sentiment) -> Track:
    """RSI(14) under 30 or the close under the lower Bollinger band (20, 2σ) buys; over 70 or
    above the upper band sells."""
    rsi = talib.RSI(s.close, 14)
    upper, mid, lower = talib.BBANDS(s.close, 20, 2.0, 2.0)
    low_rsi, high_rsi = rsi < 30, rsi > 70
    under, over = s.close < lower, s.close > upper
    buy, sell = (low_rsi | under) & ~(high_rsi | over), (high_rsi | over) & ~(low_rsi | under)
    conf = np.where(buy, (low_rsi.astype(int) + under) / 2.0,
                    np.where(sell, (high_rsi.astype(int) + over) / 2.0, 0.0))
    band = (s.close - mid) / (upper - mid)   # -1 at the lower band, +1 at the upper
    strength = np.where(buy | sell, clip01(np.maximum(np.abs(rsi - 50) / 50, np.abs(band) - 0.5)),
                        0.0)
    rv, bv = {"rsi14": rsi}, {"close": s.close, "bb_lower": lower, "bb_upper": upper}
    return Track(MEAN_REVERSION, _stance(buy, sell), strength, conf,
                 [Rule("rsi14 < 30", low_rsi, rv), Rule("rsi14 > 70", high_rsi, rv),
                  Rule("close < lower bollinger", under, bv),
                  Rule("close > upper bollinger", over, bv)],
                 {"rsi14": rsi, "bb_upper": upper, "bb_lower": lower})


def _previous(x: np.ndarray) -> np.ndarray:
    return np.concatenate(([np.nan], x[:-1]))


def breakout(s: Series, _: Sentiment) -> Track:
    """The close beyond the 20-bar Donchian channel of the bars before it."""
    hi, lo = _previous(talib.MAX(s.high, 20)), _previous(talib.MIN(s.low, 20))
    buy, sell = s.close > hi, s.close < lo
    width = hi - lo
    strength = np.where(buy, (s.close - hi) / width, np.where(sell, (lo - s.close) / width, 0))
    values = {"close": s.close, "donchian_high": hi, "donchian_low": lo}
    return Track(BREAKOUT, _stance(buy, sell), clip01(strength * 5), np.where(buy | sell, 1.0, 0.0),
                 [Rule("close > 20-bar high", buy, values),
                  Rule("close < 20-bar low", sell, values)],
                 {"donchian_high": hi, "donchian_low": lo})


def volatility_regime(s: Series, _: Sentiment) -> Track:
    """NATR(14) against its own 100-bar mean: turbulent (over 1.5×) is risk-off, a sell; calm
    (under the mean) with the close over SMA(50) is a buy. The ensemble also uses it as a
    filter: no ensemble buy in a turbulent regime."""
    natr = talib.NATR(s.high, s.low, s.close, 14)
    base = talib.SMA(natr, 100)
    sma = talib.SMA(s.close, 50)
    turbulent = natr > 1.5 * base
    calm = (natr <= base) & (s.close > sma)
    ratio = natr / base
    strength = np.where(turbulent, clip01(ratio - 1.5), np.where(calm, clip01(1 - ratio), 0.0))
    values = {"natr14": natr, "natr14_mean100": base}
    return Track(VOLATILITY, _stance(calm, turbulent), strength,
                 np.where(calm | turbulent, 1.0, 0.0),
                 [Rule("natr14 > 1.5 × its 100-bar mean", turbulent, values),
                  Rule("natr14 <= its 100-bar mean and close > sma50", calm,
                       {**values, "close": s.close, "sma50": sma})],
                 {"natr14": natr, "natr14_mean100": base})


def _trailing(x: np.ndarray, n: int) -> np.ndarray:
    """Sum of the last n values at each bar (fewer at the start)."""
    c = np.cumsum(x)
    out = c.copy()
    out[n:] = c[n:] - c[:-n]
    return out


def news_sentiment(s: Series, news: Sentiment) -> Track:
    """Mean article sentiment of the last 3 bars against the last 20: positive (over 0.1) and
    not below the 20-bar mean buys, negative and not above it sells. Only news known before a bar's close counts."""
    n = len(s)
    # The bar at whose close each article is first known: the first close at or after it.
    bar = np.searchsorted(s.closes, news.at, side="left")
    known = bar < n
    bar = bar[known]
    score = np.bincount(bar, news.score[known], minlength=n)[:n]
    conf = np.bincount(bar, news.confidence[known], minlength=n)[:n]
    count = np.bincount(bar, minlength=n)[:n].astype(float)
    c3, c20 = _trailing(count, 3), _trailing(count, 20)
    with np.errstate(invalid="ignore", divide="ignore"):
        short, long = _trailing(score, 3) / c3, _trailing(score, 20) / c20
        mean_conf = _trailing(conf, 3) / c3
    buy, sell = (short > 0.1) & (short >= long), (short < -0.1) & (short <= long)
    values = {"sentiment_3": short, "sentiment_20": long, "articles_3": c3}
    return Track(SENTIMENT, _stance(buy, sell), clip01(np.abs(short)),
                 np.where(buy | sell, clip01(mean_conf * np.minimum(1.0, c3 / 3)), 0.0),
                 [Rule("3-bar sentiment > 0.1 and >= its 20-bar mean", buy, values),
                  Rule("3-bar sentiment < -0.1 and <= its 20-bar mean", sell, values),
                  Rule("no news in the last 3 bars", c3 == 0, {"articles_3": c3})],
                 {})


VOTERS = (trend, momentum, mean_reversion, breakout, news_sentiment)


def ensemble(tracks: list[Track], regime: Track) -> Track:
    """Vote of the voters weighted by strength × confidence, over those with a stance; a score
    beyond ±0.15 decides. A turbulent volatility regime turns an ensemble buy into a hold."""
    act = np.stack([t.action for t in tracks]).astype(float)
    weight = np.stack([np.maximum(t.strength, 0.05) * t.confidence for t in tracks])
    voting = (act != 0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(voting > 0, (act * weight).sum(axis=0) / len(tracks), 0.0)
    turbulent = regime.action == SELL
    buy, sell = (score > 0.15) & ~turbulent, score < -0.15
    agree = np.where(score >= 0, (act > 0).sum(axis=0), (act < 0).sum(axis=0))
    return Track(ENSEMBLE, _stance(buy, sell), clip01(np.abs(score)),
                 np.where(buy | sell, agree / len(tracks), 0.0),
                 [Rule("weighted vote > 0.15", score > 0.15, {"score": score}),
                  Rule("weighted vote < -0.15", sell, {"score": score}),
                  Rule("turbulent regime blocks buys", (score > 0.15) & turbulent,
                       {"score": score})],
                 {})


def run_all(s: Series, news: Sentiment) -> dict[str, Track]:
    """Every built-in strategy and the ensemble over one series."""
    tracks = {fn.__name__: fn(s, news) for fn in VOTERS}
    regime = volatility_regime(s, news)
    tracks[VOLATILITY] = regime
    tracks[ENSEMBLE] = ensemble([tracks[fn.__name__] for fn in VOTERS], regime)
    return tracks


BUILT_IN = {fn.__name__: fn for fn in (*VOTERS, volatility_regime)}
NAMES = (*BUILT_IN, ENSEMBLE)


def one(name: str):
    """A strategy function by name, the ensemble included (it needs the others)."""
    if name == ENSEMBLE:
        return lambda s, news: run_all(s, news)[ENSEMBLE]
    return BUILT_IN[name]
