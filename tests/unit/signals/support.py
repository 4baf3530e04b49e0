"""Series built by hand for the signal engine's unit tests."""

from __future__ import annotations

from datetime import datetime, timedelta

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
