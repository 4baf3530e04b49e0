"""Market types and pure rules. No I/O here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class AssetClass(StrEnum):
    EQUITY = "equity"
    ETF = "etf"
    CRYPTO = "crypto"


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
    exchange: str          # MIC-like code: XNYS, XNAS, XNSE, CRYPTO
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
