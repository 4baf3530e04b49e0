"""Series built by hand for the signal engine's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from stockflow.signals.domain import Series

START = datetime(2024, 1, 1)


def series(close, *, open_=None, high=None, low=None, ticker: str = "TEST") -> Series:
    close = np.asarray(close, dtype=float)
    n = len(close)
    starts = np.array([START + timedelta(days=i) for i in range(n)], dtype="datetime64[us]")
    o = close if open_ is None else np.asarray(open_, dtype=float)
    h = np.maximum(o, close) * 1.001 if high is None else np.asarray(high, dtype=float)
    lo = np.minimum(o, close) * 0.999 if low is None else np.asarray(low, dtype=float)
    return Series(ticker, "1d", starts, starts + np.timedelta64(1, "D"), o, h, lo, close,
                  np.full(n, 1000.0))


def walk(n: int, seed: int = 3, drift: float = 0.0, vol: float = 0.012) -> Series:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(drift, vol, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    return series(close, open_=open_)


class MemoryMarket:
    """The market's MarketReader port over generated daily bars (the port's in-memory form)."""

    def __init__(self, tickers: dict[str, int], start: datetime = START, seed: int = 5,
                 exchange: str = "XNAS") -> None:
        from stockflow.market.domain import AssetClass, Bar, Instrument, Interval

        self._inst = {t: Instrument(t, t, exchange, AssetClass.EQUITY, "USD", "", "", 0)
                      for t in tickers}
        self._bars: dict[str, list] = {}
        for k, (t, n) in enumerate(tickers.items()):
            s = walk(n, seed=seed + k)
            self._bars[t] = [Bar(t, Interval.D1, (start + timedelta(days=i)).replace(tzinfo=UTC),
                                 float(s.open[i]), float(s.high[i]), float(s.low[i]),
                                 float(s.close[i]), 1000) for i in range(n)]

    @property
    def universe(self) -> list:
        return list(self._inst.values())

    def instrument(self, raw_ticker: str):
        from stockflow.core.problems import not_found

        found = self._inst.get(raw_ticker.upper())
        if found is None:
            raise not_found("ticker", raw_ticker)
        return found

    def add(self, bar) -> None:
        self._bars[bar.ticker].append(bar)

    def last(self, ticker: str):
        return self._bars[ticker][-1]

    async def bars(self, ticker, interval, start, end, limit, *, after=None) -> list:
        return [b for b in self._bars[ticker]
                if (start is None or b.time >= start) and (end is None or b.time < end)][:limit]


def transition_bar(market: MemoryMarket, ticker: str, strategy: str = "trend",
                   after: int = 150) -> int:
    """An index (past `after`) where `strategy` changes action on the ticker's bars."""
    from stockflow.signals.domain import Sentiment
    from stockflow.signals.strategies import one

    bars = market._bars[ticker]
    s = Series.of(ticker, "1d", timedelta(days=1), bars)
    action = one(strategy)(s, Sentiment.empty()).action
    return after + int(np.flatnonzero(action[after:] != action[after - 1:-1])[0])


def bar_event(bar) -> dict:
    return {"ticker": bar.ticker, "interval": "1d", "time": bar.time.isoformat(),
            "open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close,
            "volume": bar.volume, "provider": "simulated"}
