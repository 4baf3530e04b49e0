"""Daily price series as the predict context takes them: validated arrays, no I/O.

Inputs are plain NumPy/pandas (what the market context's `Bar`s become), so the numerical code
never depends on where the bars came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stockflow.core.problems import Problem, invalid


def too_few(what: str, needed: int, got: int) -> Problem:
    """The 422 every model raises when the history is shorter than it needs."""
    return invalid(f"{what} needs at least {needed} observations, got {got}",
                   [{"field": "history", "needed": needed, "got": got}])


@dataclass(frozen=True, slots=True)
class DailySeries:
    """One instrument's daily bars, oldest first, every value finite and positive."""

    dates: np.ndarray            # datetime64[D]
    close: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.close)

    def head(self, n: int) -> DailySeries:
        """The first n bars: what was known at origin n (used by the backtests)."""
        return self.window(0, n)

    def window(self, start: int, stop: int) -> DailySeries:
        return DailySeries(*(getattr(self, f)[start:stop] for f in self.__slots__))

    @property
    def log_returns(self) -> np.ndarray:
        return np.diff(np.log(self.close))

    @property
    def is_constant(self) -> bool:
        return bool(len(self.close)) and bool(np.all(self.close == self.close[0]))

    @property
    def periods_per_year(self) -> int:
        """365 when the instrument trades at weekends (crypto), else 252 (exchange sessions)."""
        weekdays = (self.dates.astype("datetime64[D]").astype(np.int64) + 3) % 7   # Monday = 0
        return 365 if np.any(weekdays >= 5) else 252

    def gaps(self, max_calendar_days: int = 4) -> int:
        """Bar-to-bar steps longer than `max_calendar_days` (missing sessions, halts)."""
        if len(self.dates) < 2:
            return 0
        steps = np.diff(self.dates).astype(np.int64)
        return int(np.sum(steps > max_calendar_days))


def make_series(close: Sequence[float] | np.ndarray, *, dates: Any = None, open: Any = None,
                high: Any = None, low: Any = None, volume: Any = None) -> DailySeries:
    """Validate and sort; rows with a missing or non-positive close are dropped, not filled.

    Dropping keeps every return a real bar-to-bar move: filling a gap forward would invent a
    zero return and shrink every volatility estimate.
    """
    c = np.asarray(close, dtype=float)
    n = len(c)
    d = (np.arange(n).astype("datetime64[D]") if dates is None
         else pd.to_datetime(pd.Series(list(dates))).dt.tz_localize(None).values
         .astype("datetime64[D]"))
    if len(d) != n:
        raise invalid(f"dates has {len(d)} values, close has {n}")
    cols = {"open": open, "high": high, "low": low}
    arrays = {k: c.copy() if v is None else np.asarray(v, dtype=float) for k, v in cols.items()}
    vol = np.zeros(n) if volume is None else np.asarray(volume, dtype=float)
    for name, arr in (*arrays.items(), ("volume", vol)):
        if len(arr) != n:
            raise invalid(f"{name} has {len(arr)} values, close has {n}")
    keep = np.isfinite(c) & (c > 0)
    for arr in arrays.values():
        keep &= np.isfinite(arr) & (arr > 0)
    keep &= np.isfinite(vol) & (vol >= 0)
    order = np.argsort(d[keep], kind="stable")
    d_k = d[keep][order]
    if len(d_k) > 1 and np.any(np.diff(d_k).astype(np.int64) == 0):
        raise invalid("two bars share one date; a daily series has one bar per day")
    pick = lambda a: a[keep][order]
    return DailySeries(d_k, pick(c), pick(arrays["open"]), pick(arrays["high"]),
                       pick(arrays["low"]), pick(vol))


def from_bars(bars: Iterable[Any]) -> DailySeries:
    """From market `Bar`s (anything with time/open/high/low/close/volume attributes)."""
    rows = list(bars)
    return make_series([b.close for b in rows], dates=[b.time for b in rows],
                       open=[b.open for b in rows], high=[b.high for b in rows],
                       low=[b.low for b in rows], volume=[b.volume for b in rows])
