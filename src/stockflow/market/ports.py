"""The market context's ports: what it needs from adapters (storage, vendors, calendars) and
what it offers other contexts (reading instruments and bars, the live-quote sink, vendor
streams). Other contexts import this module and `market.domain`, nothing else of market.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from stockflow.market.domain import Bar, Instrument, Interval, Quote, Schedule

# A vendor's capabilities (its `capabilities` attribute): what it can do beyond the port.
QUOTES, BARS, RATES, STREAM = "quotes", "bars", "crypto_rates", "stream"


def capable(provider: object, capability: str) -> bool:
    return capability in getattr(provider, "capabilities", frozenset({QUOTES, BARS}))


@runtime_checkable
class MarketStore(Protocol):
    """Storage port of the market context: instruments, quotes and OHLCV bars."""

    async def upsert_instruments(self, instruments: Sequence[Instrument]) -> int: ...
    async def list_instruments(self) -> list[Instrument]: ...
    async def get_instrument(self, ticker: str) -> Instrument | None: ...
    async def write_bars(self, bars: Sequence[Bar]) -> int: ...
    async def read_bars(self, ticker: str, interval: Interval, start: datetime | None,
                        end: datetime | None, limit: int, after: datetime | None = None,
                        ) -> list[Bar]: ...
    async def last_bars(self, ticker: str, interval: Interval, before: datetime,
                        limit: int) -> list[Bar]: ...
    async def bar_span(self, ticker: str, interval: Interval) -> tuple[datetime, datetime] | None: ...
    async def write_quotes(self, quotes: Sequence[Quote]) -> int: ...
    async def latest_quote(self, ticker: str) -> Quote | None: ...


@runtime_checkable
class MarketDataProvider(Protocol):
    """A source of quotes and bars. The simulated market is one; real vendors sit beside it."""

    name: str

    async def instruments(self) -> list[Instrument]: ...
    async def quote(self, ticker: str, at: datetime | None = None) -> Quote: ...
    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]: ...
    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]: ...
    def supports(self, ticker: str) -> bool: ...


class MarketCalendar(Protocol):
    def sessions(self, exchange: str, start: date, end: date) -> list[date]: ...


class MarketCalendars(Protocol):
    """Exchange sessions, as the pipeline and the jobs need them (market/calendar.py)."""

    def is_trading_time(self, exchange: str, at: datetime) -> bool: ...
    def schedule(self, exchange: str) -> Schedule: ...
    def spec(self, exchange: str) -> Any:
        """The exchange's timezone and calendar (`timezone`, `xcals`); KeyError if unknown."""


@runtime_checkable
class MarketReader(Protocol):
    """Read access to the market for other contexts: the universe, ticker lookup, bars."""

    @property
    def universe(self) -> list[Instrument]: ...
    def instrument(self, raw_ticker: str) -> Instrument: ...
    async def bars(self, ticker: str, interval: Interval, start: datetime | None,
                   end: datetime | None, limit: int, *, after: datetime | None = None,
                   ) -> list[Bar]: ...


class QuoteSink(Protocol):
    """Where the pipeline's realtime stage leaves fresh quotes (wire-encoded JSON by ticker),
    so the quote API serves them and remembers them as last known."""

    async def remember(self, encoded: dict[str, bytes], at: datetime) -> None: ...


class StartupHistory(Protocol):
    """The market's start-up backfill, for a context that must not read stored bars before the
    recent ones are in (the processor resuming today's session)."""

    async def recent_loaded(self) -> None:
        """Return once today's bars and the gap since the last run are stored (or failed)."""


class TickFeed(Protocol):
    """A vendor's push stream of ticks (Binance trades, Dhan's live feed)."""

    name: str

    def __aiter__(self) -> Any: ...


class StreamCapable(Protocol):
    """A vendor that can push ticks: it says which tickers its stream covers and makes the feed."""

    def stream_covers(self, ticker: str) -> bool: ...
    def stream_feed(self, tickers: Sequence[str]) -> TickFeed: ...


class TickPlanner(Protocol):
    """Which source makes each watched ticker's ticks (market/ingest.py), for the pipeline."""

    @property
    def polls(self) -> bool: ...
    def watched(self) -> list[str]: ...
    def is_open(self, ticker: str, at: datetime) -> bool: ...
    def exchange_of(self, ticker: str) -> str: ...
    def plan(self) -> Any: ...


@runtime_checkable
class FxRates(Protocol):
    """Currency conversion for other contexts, from the market's daily closes of its FX pairs.

    `fx_series(base, quote, start, end)` is the units of `quote` per one `base` at each day's
    close with start <= day <= end, oldest first, plus the last day before `start` (so the
    first days of a range have a rate), crossed through USD where no pair quotes the two
    directly. `pair_of` names the pairs a conversion reads, for callers that show their sources.
    """

    @property
    def currencies(self) -> frozenset[str]: ...
    async def fx_series(self, base: str, quote: str, start: date, end: date,
                        ) -> list[tuple[date, float]]: ...
    def pairs_of(self, base: str, quote: str) -> list[str]: ...


@runtime_checkable
class QuoteReader(Protocol):
    """Live quotes (wire JSON, with a `stale` meta when every vendor failed) and exchange
    sessions, for other contexts (the intel context's facts)."""

    @property
    def universe(self) -> list[Instrument]: ...
    def instrument(self, raw_ticker: str) -> Instrument: ...
    async def quote_json(self, raw_ticker: str) -> tuple[bytes, dict[str, Any]]: ...
    def market_status(self, at: datetime | None = None) -> list[dict[str, Any]]: ...
