"""The after-close daily-bars job: only markets whose session ended, idempotent, per-ticker
failures recorded without stopping the run."""

from __future__ import annotations

import pytest

from stockflow.adapters.providers.errors import ProviderUnavailable
from stockflow.bootstrap import bootstrap
from stockflow.market.domain import Interval
from stockflow.market.tasks import DailyBars
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
    exchange = {i.ticker: i.exchange for i in c.market.universe}
    return DailyBars(backfill=c.backfill, calendars=c.calendars, exchange_of=exchange.__getitem__,
                     clock=c.clock, days=5)


async def test_fetches_closed_markets_only_and_stores_nothing_twice(container):
    # Friday 15:30 UTC: New York in session, Mumbai closed, crypto always "closed days".
    stats = await job(container).run(["AAPL", "TCS", "BTC-USD"])
    assert stats["tickers"] == 2 and stats["skipped_open"] == 1 and stats["failed"] == {}
    assert stats["bars"] > 0
    assert await container.market.store.bar_span("TCS", Interval.D1) is not None
    assert await container.market.store.bar_span("AAPL", Interval.D1) is None
    again = await job(container).run(["AAPL", "TCS", "BTC-USD"])
    assert again["bars"] == 0


async def test_a_failing_ticker_is_recorded_and_the_rest_go_on(container, monkeypatch):
    real = container.backfill.provider.bars

    async def flaky(ticker, *args):
        if ticker == "TCS":
            raise ProviderUnavailable("dhan", "timeout")
        return await real(ticker, *args)

    monkeypatch.setattr(container.backfill.provider, "bars", flaky)
    stats = await job(container).run(["TCS", "INFY"])
    assert set(stats["failed"]) == {"TCS"} and stats["bars"] > 0
