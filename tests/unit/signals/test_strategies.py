"""Built-in strategies on series whose answer is known: a steady rise is an uptrend, a spike
over the Donchian channel a breakout, a crash an oversold RSI; reasons carry their values."""

from __future__ import annotations

import numpy as np
import talib

from stockflow.signals import strategies
from stockflow.signals.domain import BUY, HOLD, SELL, Sentiment
from tests.unit.signals.support import series, walk

NONE = Sentiment.empty()


def test_trend_buys_a_rise_and_sells_a_fall_with_its_values():
    s = series(np.concatenate([np.linspace(100, 150, 120), np.linspace(150, 90, 120)]))
    t = strategies.trend(s, NONE)
    assert (t.action[:49] == HOLD).all()              # SMA(50) is still warming up
    assert t.action[110] == BUY and t.action[235] == SELL
    reason = t.reasons(110)[0]
    assert reason["rule"] == "ema20 > sma50"
    assert reason["values"]["ema20"] == round(float(talib.EMA(s.close, 20)[110]), 6)
    assert t.confidence[110] == 1.0                     # SMA(50) rising too


def test_breakout_fires_on_a_close_over_the_previous_20_bar_high():
    close = np.full(60, 100.0)
    close[45] = 110.0
    s = series(close, high=close * 1.001, low=close * 0.999)
    t = strategies.breakout(s, NONE)
    assert t.action[45] == BUY
    assert (np.delete(t.action, 45)[20:] == HOLD).all()
    assert t.reasons(45)[0]["values"]["donchian_high"] == round(100.0 * 1.001, 6)


def test_mean_reversion_buys_an_oversold_crash_and_sells_an_overbought_rally():
    s = series(np.concatenate([np.full(30, 100.0) + np.sin(np.arange(30)),
                               np.linspace(100, 60, 15), np.linspace(60, 110, 25)]))
    t = strategies.mean_reversion(s, NONE)
    assert t.action[44] == BUY and {"rsi14 < 30"} <= {r["rule"] for r in t.reasons(44)}
    assert t.action[69] == SELL


def test_momentum_needs_macd_and_roc_to_agree_for_full_confidence():
    s = series(np.linspace(100, 140, 80))
    t = strategies.momentum(s, NONE)
    assert t.action[-1] == BUY and t.confidence[-1] == 1.0


def test_volatility_regime_is_risk_off_when_ranges_widen():
    calm = np.linspace(100, 120, 150)
    wild = 120 + 15 * np.sin(np.arange(30) * 2.0)
    close = np.concatenate([calm, wild])
    # Ranges narrowing through the calm part, then six times wider.
    width = np.r_[np.linspace(0.004, 0.001, 150), np.full(30, 0.06)]
    s = series(close, high=close * (1 + width), low=close * (1 - width))
    t = strategies.volatility_regime(s, NONE)
    assert t.action[140] == BUY and t.action[-1] == SELL


def test_sentiment_counts_news_only_from_the_bar_whose_close_follows_it():
    s = series(np.full(30, 100.0))
    # Articles known during bar 10 (before its close) and bar 20: both positive.
    at = s.starts[[10, 10, 20]] + np.timedelta64(6, "h")
    news = Sentiment(at, np.array([0.8, 0.6, 0.9]), np.array([0.9, 0.9, 0.9]))
    t = strategies.news_sentiment(s, news)
    assert t.action[9] == HOLD and t.action[10] == BUY
    assert t.reasons(10)[0]["values"]["sentiment_3"] == 0.7
    assert t.reasons(9)[0]["rule"] == "no news in the last 3 bars"


def test_ensemble_votes_and_a_turbulent_regime_blocks_its_buys():
    s = walk(400, drift=0.002)
    tracks = strategies.run_all(s, NONE)
    e = tracks["ensemble"]
    assert set(np.unique(e.action)) <= {BUY, HOLD, SELL}
    regime = tracks["volatility_regime"]
    assert not ((e.action == BUY) & (regime.action == SELL)).any()
    # Where every voter says buy at full strength and confidence, the ensemble buys.
    voters = [tracks[n] for n in ("trend", "momentum", "mean_reversion", "breakout",
                                  "news_sentiment")]
    ones = np.ones(len(s))
    for v in voters:
        v.action[:] = BUY
        v.strength[:] = ones
        v.confidence[:] = ones
    regime.action[:] = HOLD
    assert (strategies.ensemble(voters, regime).action == BUY).all()
    regime.action[:] = SELL
    assert (strategies.ensemble(voters, regime).action == HOLD).all()


def test_every_strategy_gives_one_value_per_bar_in_range():
    s = walk(300)
    for name, t in strategies.run_all(s, NONE).items():
        assert len(t.action) == len(t.strength) == len(t.confidence) == len(s), name
        assert ((t.strength >= 0) & (t.strength <= 1)).all(), name
        assert ((t.confidence >= 0) & (t.confidence <= 1)).all(), name
