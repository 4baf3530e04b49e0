"""A market store on SQLite filled with simulated instruments and daily bars, for tests and
benchmarks that need stored prices (the analysis context reads beta, prices and indicators
from stored bars)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from stockflow.adapters.providers.simulated.provider import SimulatedMarketProvider
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import Interval
from stockflow.market.repository import SqlMarketStore
from stockflow.testing.fakes import FakeClock


async def simulated_market_store(path: Path, now: datetime, tickers: Iterable[str] | None,
                                 days: int, seed: int = 42) -> tuple[SqlDatabase, SqlMarketStore]:
    """Every simulated instrument, and `days` of daily bars up to `now` for `tickers` (all when
    None). The caller closes the database."""
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
    return db, store
