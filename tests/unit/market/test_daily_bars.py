"""The after-close daily-bars job: only markets whose session ended, idempotent, per-ticker
failures recorded without stopping the run."""

from __future__ import annotations

import pytest

from stockflow.bootstrap import bootstrap
from stockflow.core.resilience.errors import ProviderUnavailable
from stockflow.market.domain import Interval
from stockflow.market.ports import MarketCalendars
from stockflow.market.service import MarketDataService
from stockflow.market.tasks import Backfill, DailyBars
from stockflow.testing.fakes import FakeClock
from tests.conftest import MARKET_TIME, make_settings


@pytest.fixture
async def container(tmp_path):
    c = bootstrap(make_settings(tmp_path, simulator={"seed": 7, "backfill_on_start": False}),
                  clock=FakeClock(MARKET_TIME), configure_logs=False)
    await c.start()
    yield c
    await c.stop()


def job(c):
    exchange = {i.ticker: i.exchange for i in c.port(MarketDataService).universe}
    return DailyBars(backfill=c.port(Backfill), calendars=c.port(MarketCalendars), exchange_of=exchange.__getitem__,
                     clock=c.clock, days=5)


async def test_fetches_closed_markets_only_and_stores_nothing_twice(container):
    # Friday 15:30 UTC: New York in session, Mumbai closed, crypto always "closed days".
    stats = await job(container).run(["AAPL", "TCS", "BTC-USD"])
    assert stats["tickers"] == 2 and stats["skipped_open"] == 1 and stats["failed"] == {}
    assert stats["bars"] > 0
    assert await container.port(MarketDataService).store.bar_span("TCS", Interval.D1) is not None
    assert await container.port(MarketDataService).store.bar_span("AAPL", Interval.D1) is None
    again = await job(container).run(["AAPL", "TCS", "BTC-USD"])
    assert again["bars"] == 0


async def test_a_failing_ticker_is_recorded_and_the_rest_go_on(container, monkeypatch):
    real = container.port(Backfill).provider.bars

    async def flaky(ticker, *args):
        if ticker == "TCS":
            raise ProviderUnavailable("dhan", "timeout")
        return await real(ticker, *args)

    monkeypatch.setattr(container.port(Backfill).provider, "bars", flaky)
    stats = await job(container).run(["TCS", "INFY"])
    assert set(stats["failed"]) == {"TCS"} and stats["bars"] > 0
