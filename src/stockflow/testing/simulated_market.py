"""A market store on SQLite filled with simulated instruments and daily bars, for tests and
benchmarks that need stored prices (the analysis context reads beta, prices and indicators
from stored bars)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from stockflow.adapters.providers.simulated.provider import SimulatedMarketProvider
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core.problems import not_found
from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import Bar, Instrument, Interval, normalise_ticker
from stockflow.market.ports import MarketStore
from stockflow.market.repository import SqlMarketStore
from stockflow.testing.fakes import FakeClock


class StoreReader:
    """The market's MarketReader port over a bare MarketStore, the way the market context
    serves it to other contexts: the universe held in memory, bars read from storage."""

    def __init__(self, store: MarketStore, instruments: Iterable[Instrument]) -> None:
        self.store = store
        self._universe = {i.ticker: i for i in instruments}

    @property
    def universe(self) -> list[Instrument]:
        return list(self._universe.values())

    def instrument(self, raw_ticker: str) -> Instrument:
        inst = self._universe.get(normalise_ticker(raw_ticker))
        if inst is None:
            raise not_found("ticker", raw_ticker)
        return inst

    async def bars(self, ticker: str, interval: Interval, start: datetime | None,
                   end: datetime | None, limit: int, *, after: datetime | None = None,
                   ) -> list[Bar]:
        return await self.store.read_bars(ticker, interval, start, end, limit, after)


async def simulated_market_store(path: Path, now: datetime, tickers: Iterable[str] | None,
                                 days: int, seed: int = 42) -> tuple[SqlDatabase, StoreReader]:
    """Every simulated instrument, and `days` of daily bars up to `now` for `tickers` (all when
    None), read through a StoreReader. The caller closes the database."""
    db = SqlDatabase(f"sqlite:///{path}")
    await db.connect()
    await db.migrate()
    store = SqlMarketStore(db)
    provider = SimulatedMarketProvider(seed, MarketCalendars(today=now.date()), FakeClock(now))
    instruments = await provider.instruments()
    await store.upsert_instruments(instruments)
    for ticker in tickers if tickers is not None else [i.ticker for i in instruments]:
        await store.write_bars(provider.backfill_bars(ticker, Interval.D1,
                                                      now - timedelta(days=days), now))
    return db, StoreReader(store, instruments)
