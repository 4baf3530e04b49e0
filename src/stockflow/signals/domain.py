"""Types and pure rules of the signal engine: a bar series as NumPy columns, a strategy's track
over it (one action, strength and confidence per bar, and the rules behind them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

BUY, HOLD, SELL = 1, 0, -1
ACTIONS = {BUY: "buy", HOLD: "hold", SELL: "sell"}


@dataclass(frozen=True)
class Series:
    """OHLCV columns of one ticker, oldest first; `closes` are the bars' close instants."""

    ticker: str
    interval: str
    starts: np.ndarray       # datetime64[us], UTC start of each bar
    closes: np.ndarray       # datetime64[us], when each bar closed (start + interval)
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.close)

    def cut(self, lo: int, hi: int | None = None) -> Series:
        """Bars lo..hi-1: what was loaded with less warm-up, or known at an earlier date."""
        s = slice(lo, hi)
        return Series(self.ticker, self.interval, self.starts[s], self.closes[s], self.open[s],
                      self.high[s], self.low[s], self.close[s], self.volume[s])

    def append(self, start: datetime, delta: timedelta, *ohlcv: float) -> Series:
        """This series and one more bar after it (a bar event not stored yet)."""
        t = np.array([_naive(start)], dtype="datetime64[us]")
        cols = [np.append(getattr(self, k), v) for k, v in zip(
            ("open", "high", "low", "close", "volume"), ohlcv, strict=True)]
        return Series(self.ticker, self.interval, np.append(self.starts, t),
                      np.append(self.closes, t + np.timedelta64(delta)), *cols)

    def time(self, i: int) -> datetime:
        return _dt(self.starts[i])

    def close_time(self, i: int) -> datetime:
        return _dt(self.closes[i])

    @classmethod
    def of(cls, ticker: str, interval: str, delta: timedelta, rows: Sequence[Any]) -> Series:
        """From objects with time/open/high/low/close/volume (market Bars, bar events)."""
        starts = np.array([_naive(r.time) for r in rows], dtype="datetime64[us]")
        col = {k: np.fromiter((getattr(r, k) for r in rows), np.float64, len(rows))
               for k in ("open", "high", "low", "close", "volume")}
        return cls(ticker, interval, starts, starts + np.timedelta64(delta), **col)


def _naive(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def _dt(x: np.datetime64) -> datetime:
    return x.astype("datetime64[us]").item().replace(tzinfo=UTC)


@dataclass(frozen=True)
class Rule:
    """One rule of a strategy: where it fired, and the values it looked at."""

    name: str
    fired: np.ndarray                     # bool per bar
    values: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Track:
    """A strategy over a whole series: per bar, buy/hold/sell, strength and confidence in
    [0, 1], and the rules whose firing explains them (read only for the bars reported)."""

    strategy: str
    action: np.ndarray                    # int8: BUY, HOLD, SELL
    strength: np.ndarray
    confidence: np.ndarray
    rules: list[Rule] = field(default_factory=list)
    # The indicator columns behind the rules, compared by the warm-up check.
    indicators: dict[str, np.ndarray] = field(default_factory=dict)

    def reasons(self, i: int) -> list[dict[str, Any]]:
        return [{"rule": r.name, "values": {k: _num(v[i]) for k, v in r.values.items()}}
                for r in self.rules if bool(r.fired[i])]

    def at(self, i: int) -> dict[str, Any]:
        return {"strategy": self.strategy, "action": ACTIONS[int(self.action[i])],
                "strength": round(float(self.strength[i]), 4),
                "confidence": round(float(self.confidence[i]), 4), "reasons": self.reasons(i)}


def _num(x: Any) -> float | None:
    x = float(x)
    return round(x, 6) if np.isfinite(x) else None


def clip01(x: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


def ffill(values: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Carry the last non-NaN value forward (vectorised): the position a run of signals holds."""
    idx = np.where(np.isnan(values), 0, np.arange(len(values)))
    np.maximum.accumulate(idx, out=idx)
    out = values[idx]
    return np.where(np.isnan(out), fill, out)


@dataclass(frozen=True)
class Sentiment:
    """News sentiment known to the engine: one row per article and ticker."""

    at: np.ndarray          # datetime64[us], when the sentiment became known
    score: np.ndarray       # -1..1
    confidence: np.ndarray  # 0..1

    @classmethod
    def empty(cls) -> Sentiment:
        return cls(np.array([], dtype="datetime64[us]"), np.array([]), np.array([]))


StrategyFn = Callable[[Series, Sentiment], Track]
