"""DailyHistory on the market's SQL store (SQLite and PostgreSQL): bars in, DailySeries out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from stockflow.market.domain import AssetClass, Bar, Instrument, Interval
from stockflow.predict.history import MarketStoreHistory
from stockflow.testing.fakes import FakeClock

DAY0 = datetime(2025, 10, 1, tzinfo=UTC)


async def test_daily_bars_become_a_series(store) -> None:
    await store.upsert_instruments([Instrument("AAPL", "Apple", "XNAS", AssetClass.EQUITY,
                                               "USD", "IT", "Hardware", 1)])
    closes = 100 + np.arange(30.0)
    await store.write_bars([Bar("AAPL", Interval.D1, DAY0 + timedelta(days=i), c - 1, c + 1,
                                c - 2, c, 1000 + i) for i, c in enumerate(closes)])
    clock = FakeClock(DAY0 + timedelta(days=29, hours=22))
    history = MarketStoreHistory(store, clock)
    s = await history.daily("AAPL", 10)
    assert s is not None and len(s) == 10
    np.testing.assert_array_equal(s.close, closes[-10:])          # the newest ten, oldest first
    assert str(s.dates[-1]) == "2025-10-30" and s.volume[-1] == 1029
    assert await history.daily("NOPE", 10) is None
