"""Wire shapes of the market context. Hot paths serialise with orjson from these dict builders;
the pydantic models document the same shapes in OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from stockflow.market.domain import Bar, Instrument, Quote, quote_to_wire  # noqa: F401 - re-exported


def bar_to_wire(b: Bar) -> dict[str, Any]:
    return {
        "time": b.time.isoformat(),
        "open": b.open,
        "high": b.high,
        "low": b.low,
        "close": b.close,
        "volume": b.volume,
    }


def instrument_to_wire(i: Instrument) -> dict[str, Any]:
    return {
        "ticker": i.ticker,
        "name": i.name,
        "exchange": i.exchange,
        "asset_class": str(i.asset_class),
        "sector": i.sector,
        "industry": i.industry,
        "market_cap": i.market_cap,
        "currency": i.currency,
    }


class Meta(BaseModel):
    timestamp: datetime
    version: str = "v1"
    # Present only when every provider failed and last-known values were served instead.
    stale: bool | None = Field(None, description="true: last-known values, see age_seconds")
    age_seconds: float | None = Field(None, description="age of the oldest stale value")
    stale_items: dict[str, float] | None = Field(None, description="each stale value's age")


class QuoteOut(BaseModel):
    ticker: str
    price: float
    bid: float
    ask: float
    bid_size: int
    ask_size: int
    mid: float
    spread: float
    open: float
    high: float
    low: float
    prev_close: float
    change: float
    change_pct: float
    volume: int
    currency: str
    exchange: str
    time: datetime
    provider: str


class QuoteMeta(Meta):
    """Free-tier answers are delayed and say so: how long, and the instant they show."""

    delayed: bool | None = None
    delay_seconds: int | None = None
    as_of: datetime | None = None


class QuoteEnvelope(BaseModel):
    data: QuoteOut
    meta: QuoteMeta


class QuotesEnvelope(BaseModel):
    data: list[QuoteOut]
    meta: QuoteMeta


class RatesMeta(QuoteMeta):
    source: str | None = Field(None, description="who answered: coingecko, binance, simulated")


class RatesEnvelope(BaseModel):
    data: dict[str, dict[str, float]] = Field(
        description='{coin id: {vs: price, "<vs>_24h_change": pct, "last_updated_at": epoch s}}',
        examples=[{"bitcoin": {"usd": 67187.34, "usd_24h_change": 1.21,
                               "last_updated_at": 1711356300}}])
    meta: RatesMeta


class BarOut(BaseModel):
    time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: int


class HistoryMeta(Meta):
    ticker: str
    interval: str
    next_cursor: str | None = None
    has_more: bool = False


class HistoryEnvelope(BaseModel):
    data: list[BarOut]
    meta: HistoryMeta


class CompanyOut(BaseModel):
    ticker: str
    name: str
    exchange: str
    asset_class: str
    sector: str
    industry: str
    market_cap: int
    currency: str


class ListMeta(Meta):
    next_cursor: str | None = None
    has_more: bool = False


class CompaniesEnvelope(BaseModel):
    data: list[CompanyOut]
    meta: ListMeta


class HolidayOut(BaseModel):
    date: str
    name: str


class ExchangeStatusOut(BaseModel):
    exchange: str
    name: str
    timezone: str
    state: str
    is_open: bool
    next_open: datetime | None
    next_close: datetime | None
    holidays: list[HolidayOut]


class MarketStatusEnvelope(BaseModel):
    data: list[ExchangeStatusOut]
    meta: Meta
