"""Two members of the `signals` worker group on a real broker (Redis Streams) and one shared
PostgreSQL: bar events keyed by ticker are shared between them, every changed signal is
announced once, and the same bars delivered again announce nothing.

How it scales out: the bus shares a group's events among its members; the state each signal
depends on is per ticker in the shared database (the last bar handled and the last action of
each strategy), and a row only moves forward in bar time, so any member may handle any ticker.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.contexts import modules
from stockflow.core import registry
from stockflow.core.catalogue import BAR_CLOSED, SIGNAL_GENERATED
from stockflow.signals.config import SignalsSettings
from stockflow.signals.domain import Sentiment, Series
from stockflow.signals.handlers import GROUP, handlers
from stockflow.signals.live import LiveSignals, signal_id
from stockflow.signals.repository import (
    SqlSentimentStore,
    SqlSignalState,
    SqlStrategyStore,
)
from stockflow.signals.service import SignalService
from stockflow.signals.strategies import run_all
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture, FakeClock
from stockflow.testing.services import require_service_url
from tests.integration.conftest import cleanup_redis
from tests.unit.signals.support import MemoryMarket, bar_event, transition_bar

pytestmark = pytest.mark.postgres
NOW = datetime(2030, 1, 1, tzinfo=UTC)
TICKERS = [f"T{i:02d}" for i in range(12)]


@pytest.fixture
async def postgres():
    url = require_service_url("STOCKFLOW_TEST_POSTGRES_URL", "PostgreSQL")
    schema = f"signals_{uuid.uuid4().hex[:12]}"
    db = SqlDatabase(url, schema=schema)
    await db.connect()
    await db.migrate([m.migrations for m in modules() if m.migrations])
    try:
        yield db
    finally:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await db.close()


def member(db, market, bus, name: str, seen: dict[str, list[str]]):
    svc = SignalService(market, SqlSentimentStore(db), SqlStrategyStore(db), SignalsSettings(),
                        FakeClock(NOW))
    live = LiveSignals(svc, SqlSignalState(db), bus, FakeClock(NOW))
    spec = next(h for h in handlers(live, SqlSentimentStore(db))
                if h.topic is BAR_CLOSED)

    async def handle(event):
        await spec.handler(event)
        seen[name].append(event.data["ticker"])   # after its announcements are published

    bus.subscribe(BAR_CLOSED.name, GROUP, handle, consumer=name)
    return live


async def test_two_members_share_tickers_and_announce_each_signal_once(postgres, shared_redis):
    server, _, prefix = shared_redis
    market = MemoryMarket(dict.fromkeys(TICKERS, 320))
    # Each ticker: the bars before one where the trend changes are stored; that bar closes.
    closing = {}
    for t in TICKERS:
        k = transition_bar(market, t, "trend")
        closing[t] = market._bars[t][k]
        market._bars[t] = market._bars[t][:k]
    expected = set()
    for t, bar in closing.items():
        bars = [*market._bars[t], bar]
        tracks = run_all(Series.of(t, "1d", bars[1].time - bars[0].time, bars),
                         Sentiment.empty())
        expected |= {signal_id(t, n, "1d", bar.time) for n, tr in tracks.items()
                     if tr.action[-1] != tr.action[-2]}

    options = {"prefix": prefix, "block_ms": 100, "claim_idle_ms": 2000, "stop_grace_s": 1.0}
    a, b, watcher = (registry.build("bus", server, **options) for _ in range(3))
    seen: dict[str, list[str]] = {"a": [], "b": []}
    member(postgres, market, a, "a", seen)
    member(postgres, market, b, "b", seen)
    captured = EventCapture()
    watcher.subscribe(SIGNAL_GENERATED.name, "capture", captured)
    for bus in (a, b, watcher):
        await bus.start()
    try:
        events = [BAR_CLOSED.event(bar_event(bar), key=t) for t, bar in closing.items()]
        await watcher.publish_many(BAR_CLOSED.name, events)
        await eventually(lambda: len(captured.events) >= len(expected)
                         and len(seen["a"]) + len(seen["b"]) == len(TICKERS), timeout=30)
        assert seen["a"] and seen["b"], seen          # both members took part
        assert sorted(seen["a"] + seen["b"]) == sorted(TICKERS)

        # The same bars again, as a redelivery after a member's crash would bring them.
        await watcher.publish_many(BAR_CLOSED.name, events)
        await eventually(lambda: len(seen["a"]) + len(seen["b"]) == 2 * len(TICKERS),
                         timeout=30)
        ids = [e.id for e in captured.events]
        assert sorted(ids) == sorted(expected)        # each once, none missing, none twice
        assert {e.data["ticker"] for e in captured.events if e.data["strategy"] == "trend"} \
            == set(TICKERS)
    finally:
        for bus in (a, b, watcher):
            await bus.stop()
        await cleanup_redis(server, prefix)
