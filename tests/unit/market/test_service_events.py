"""The market service announces what it does on the bus: quote updates and status changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import STATUS_CHANGED
from stockflow.market.service import MarketDataService
from stockflow.market.tasks import StatusWatcher
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import MARKET_TIME, make_settings


@pytest.fixture
async def container(tmp_path):
    c = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False}),
                  clock=FakeClock(MARKET_TIME))
    await c.start()
    yield c
    await c.stop()


async def test_cache_miss_publishes_quote_updated_and_hit_does_not(container):
    cap = EventCapture()
    container.bus.subscribe("market.quote.updated", "test", cap)
    await container.port(MarketDataService).quote_json("NVDA")
    await container.port(MarketDataService).quote_json("NVDA")
    await container.bus.drain()
    events = cap.of_type("market.quote.updated")
    assert len(events) == 1
    e = events[0]
    assert e.key == "NVDA" and e.data["ticker"] == "NVDA" and e.schema_version == 1
    assert e.id and e.time


async def test_refresh_quotes_fills_the_cache_for_the_universe(container):
    cap = EventCapture()
    container.bus.subscribe("market.quote.updated", "test", cap)
    n = await container.port(MarketDataService).refresh_quotes()
    await container.bus.drain()
    assert n == len(container.port(MarketDataService).universe) >= 40
    assert {e.key for e in cap.events} == {i.ticker for i in container.port(MarketDataService).universe}
    misses = container.metrics.cache_misses.labels("quote").value
    await container.port(MarketDataService).quote_json("AAPL")
    assert container.metrics.cache_misses.labels("quote").value == misses


async def test_quote_cache_expires_after_five_minutes(container):
    clock: FakeClock = container.clock  # type: ignore[assignment]
    first = await container.port(MarketDataService).quote_json("BTC-USD")
    clock.advance(299)
    assert await container.port(MarketDataService).quote_json("BTC-USD") == first
    clock.advance(2)
    assert await container.port(MarketDataService).quote_json("BTC-USD") != first  # crypto moved meanwhile


async def test_status_watcher_publishes_on_open_and_close(container):
    cap = EventCapture()
    container.bus.subscribe(STATUS_CHANGED.name, "test", cap)
    watcher = StatusWatcher(container.port(MarketDataService), container.bus, STATUS_CHANGED)
    before_open = datetime(2025, 11, 21, 14, 29, tzinfo=UTC)
    assert await watcher.check(before_open) == []  # first look only records the state
    changed = await watcher.check(before_open + timedelta(minutes=2))
    assert set(changed) == {"XNYS", "XNAS"}
    await container.bus.drain()
    states = {(e.data["exchange"], e.data["previous_state"], e.data["state"]) for e in cap.events}
    assert ("XNYS", "pre_market", "open") in states
    assert await watcher.check(before_open + timedelta(minutes=3)) == []
