"""Market types and pure rules. No I/O here."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np


class AssetClass(StrEnum):
    EQUITY = "equity"
    ETF = "etf"
    CRYPTO = "crypto"
    FX = "fx"


class Interval(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    D1 = "1d"

    @property
    def delta(self) -> timedelta:
        return INTERVAL_DELTAS[self]


INTERVAL_DELTAS = {
    Interval.M1: timedelta(minutes=1),
    Interval.M5: timedelta(minutes=5),
    Interval.M15: timedelta(minutes=15),
    Interval.H1: timedelta(hours=1),
    Interval.D1: timedelta(days=1),
}


@dataclass(frozen=True, slots=True)
class Instrument:
    ticker: str
    name: str
    exchange: str          # MIC-like code: XNYS, XNAS, XNSE, CRYPTO, FX
    asset_class: AssetClass
    currency: str
    sector: str
    industry: str
    market_cap: int        # in `currency`, at the reference date
    metadata: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Quote:
    ticker: str
    time: datetime         # UTC, aware
    price: float
    bid: float
    ask: float
    bid_size: int
    ask_size: int
    volume: int            # cumulative for the session
    open: float
    high: float
    low: float
    prev_close: float
    provider: str

    @property
    def change(self) -> float:
        return self.price - self.prev_close

    @property
    def change_pct(self) -> float:
        return (self.price / self.prev_close - 1.0) * 100.0 if self.prev_close else 0.0

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0

    @property
    def spread(self) -> float:
        return self.ask - self.bid


@dataclass(frozen=True, slots=True)
class Bar:
    ticker: str
    interval: Interval
    time: datetime         # UTC start of the bar
    open: float
    high: float
    low: float
    close: float
    volume: int
    provider: str = "simulated"


def bar_is_valid(bar: Bar) -> bool:
    """OHLC consistency that every stored bar satisfies."""
    values = (bar.open, bar.high, bar.low, bar.close)
    return (
        all(math.isfinite(v) and v > 0 for v in values)
        and bar.low <= min(bar.open, bar.close)
        and bar.high >= max(bar.open, bar.close)
        and bar.volume >= 0
    )


def quote_is_valid(quote: Quote) -> bool:
    return (
        math.isfinite(quote.price) and quote.price > 0
        and math.isfinite(quote.bid) and math.isfinite(quote.ask)
        and 0 < quote.bid <= quote.ask
    )


def normalise_ticker(raw: str) -> str:
    """Tickers are upper case; crypto pairs use a dash (BTC-USD), as Yahoo and Coinbase do."""
    t = raw.strip().upper().replace("/", "-")
    return t


def normalise_tickers(raw: str) -> list[str]:
    """A comma-separated list, each part as `normalise_ticker` makes it, empty parts dropped.

    The whole string is upper-cased and rewritten once, then split: the same result as
    normalising part by part (neither step touches commas or whitespace), with two calls per
    batch instead of two per ticker.
    """
    return [t for t in map(str.strip, raw.upper().replace("/", "-").split(",")) if t]


@dataclass(frozen=True, slots=True)
class Schedule:
    """All sessions of one exchange: `days` (datetime64[D]) with UTC open/close in epoch seconds."""

    exchange: str
    days: np.ndarray
    opens: np.ndarray
    closes: np.ndarray
    open_list: list[int] = field(repr=False)   # plain-int copies: bisect on them beats numpy calls
    close_list: list[int] = field(repr=False)

    @classmethod
    def build(cls, exchange: str, days: np.ndarray, opens: np.ndarray,
              closes: np.ndarray) -> Schedule:
        days = days.astype("datetime64[D]")
        opens, closes = opens.astype(np.int64), closes.astype(np.int64)
        for a in (days, opens, closes):
            a.setflags(write=False)
        return cls(exchange, days, opens, closes, opens.tolist(), closes.tolist())

    def index_of(self, day: date) -> int:
        """Position of `day` in the schedule, or -1 if it is not a session."""
        d = np.datetime64(day, "D")
        i = int(np.searchsorted(self.days, d))
        return i if i < len(self.days) and self.days[i] == d else -1

    def last_open_at(self, ts: float) -> int:
        """Index of the last session that opened at or before `ts` (-1 if none)."""
        return bisect_right(self.open_list, ts) - 1


def quote_to_wire(q: Quote, *, currency: str, exchange: str) -> dict[str, Any]:
    return {
        "ticker": q.ticker,
        "price": q.price,
        "bid": q.bid,
        "ask": q.ask,
        "bid_size": q.bid_size,
        "ask_size": q.ask_size,
        "mid": round(q.mid, 6),
        "spread": round(q.spread, 6),
        "open": q.open,
        "high": q.high,
        "low": q.low,
        "prev_close": q.prev_close,
        "change": round(q.change, 6),
        "change_pct": round(q.change_pct, 4),
        "volume": q.volume,
        "currency": currency,
        "exchange": exchange,
        "time": q.time.isoformat(),
        "provider": q.provider,
    }
