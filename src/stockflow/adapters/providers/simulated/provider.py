"""The simulated market as a MarketDataProvider: the same port the real vendors implement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from stockflow.adapters.providers.simulated.model import PriceModel
from stockflow.adapters.providers.simulated.universe import Listing
from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker

_MINUTES = {Interval.M1: 1, Interval.M5: 5, Interval.M15: 15, Interval.H1: 60}


class _Clock(Protocol):
    def now(self) -> datetime: ...


class SimulatedMarketProvider:
    """Quotes and bars from `PriceModel`; history is served only up to the clock's "now".

    A bar is returned once it is complete (its end, or the session close, is not after now), so
    the same request always yields the same bars for the same clock time.
    """

    name = "simulated"

    def __init__(self, seed: int, calendars: MarketCalendars, clock: _Clock,
                 universe: Iterable[Listing] | None = None) -> None:
        self.model = PriceModel(seed, calendars, universe)
        self.clock = clock

    def supports(self, ticker: str) -> bool:
        return normalise_ticker(ticker) in self.model.listings

    async def instruments(self) -> list[Instrument]:
        return [x.instrument for x in self.model.listings.values()]

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        return self.quote_sync(ticker, at)

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        at = self._at(at)
        return [self.quote_sync(t, at) for t in tickers]

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        return self.backfill_bars(ticker, interval, start, end)

    def quote_sync(self, ticker: str, at: datetime | None = None) -> Quote:
        return self.model.quote(normalise_ticker(ticker), self._at(at), self.name)

    def backfill_bars(self, ticker: str, interval: Interval | str, start: datetime,
                      end: datetime) -> list[Bar]:
        """Complete bars whose start time is in [start, end); synchronous, for bulk backfill."""
        ticker, interval = normalise_ticker(ticker), Interval(interval)
        self.model.listing(ticker)  # KeyError for an unknown ticker, before any other check
        now = self.clock.now().timestamp()
        start_ts, end_ts = _ts(start), min(_ts(end), now)
        if end_ts <= start_ts:
            return []
        if interval is Interval.D1:
            # A daily bar's time is 00:00 UTC of its session; the filter below trims the edges.
            first = datetime.fromtimestamp(start_ts, UTC).date()
            last = datetime.fromtimestamp(end_ts, UTC).date() + timedelta(days=1)
            arrays = self.model.daily(ticker, first, min(last, self._cal_end()))
        else:
            arrays = self.model.intraday(ticker, start_ts, end_ts, _MINUTES[interval])
        keep = (arrays.time >= start_ts) & (arrays.time < end_ts) & (arrays.end <= now)
        a = arrays.select(keep)
        return [
            Bar(ticker, interval, datetime.fromtimestamp(t, UTC), o, h, lo, c, v, self.name)
            for t, o, h, lo, c, v in zip(a.time.tolist(), a.open.tolist(), a.high.tolist(),
                                         a.low.tolist(), a.close.tolist(), a.volume.tolist())
        ]

    def _cal_end(self) -> date:
        return self.model.calendars.end + timedelta(days=1)

    def _at(self, at: datetime | None) -> datetime:
        if at is None:
            return self.clock.now()
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _ts(at: datetime) -> float:
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at).timestamp()
