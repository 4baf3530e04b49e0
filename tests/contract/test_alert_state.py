"""AlertStateStore contract, run on the in-memory and the Redis adapter."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from stockflow.adapters.alertstate.redis import CacheAlertStateStore, RedisAlertStateStore
from stockflow.alerts.domain import RuleState
from stockflow.alerts.ports import AlertStateStore, InMemoryAlertStateStore
from stockflow.testing.services import require_service_url

REDIS_URL_ENV = "STOCKFLOW_TEST_REDIS_URL"


@pytest.fixture(params=["memory", "redis"])
async def state(request) -> AsyncIterator[AlertStateStore]:
    if request.param == "memory":
        yield InMemoryAlertStateStore()
        return
    url = require_service_url(REDIS_URL_ENV, "Redis")
    prefix = f"stockflow-test:{uuid.uuid4().hex[:12]}:"
    store = RedisAlertStateStore(url, prefix=prefix)
    try:
        yield store
    finally:
        await store.close()
        client = aioredis.Redis.from_url(url)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_states_round_trip_and_absent_ones_are_missing(state):
    s = RuleState(armed=False, seen=True, fired_count=2,
                  last_fired_at=datetime(2026, 1, 5, 15, 0, 1, 250, tzinfo=UTC),
                  recent_events=("q1", "q2"))
    assert isinstance(state, AlertStateStore)
    await state.save({"a1": s, "a2": RuleState()})
    assert await state.load(["a1", "a2", "nope"]) == {"a1": s, "a2": RuleState()}
    await state.forget(["a1"])
    assert await state.load(["a1", "a2"]) == {"a2": RuleState()}
    assert await state.load([]) == {}


async def test_previous_values_keep_every_bit(state):
    v = 0.1 + 0.2   # not 0.3: a lossy encoding would change the crossing at 0.3
    await state.remember({"AAPL|price": v, "MSFT|price": 1e-300})
    assert await state.previous(["AAPL|price", "MSFT|price", "X|price"]) == {
        "AAPL|price": v, "MSFT|price": 1e-300}
    await state.remember({"AAPL|price": 2.0})
    assert await state.previous(["AAPL|price"]) == {"AAPL|price": 2.0}


async def test_redis_uses_the_seed_key_layout():
    url = require_service_url(REDIS_URL_ENV, "Redis")
    prefix = f"stockflow-test:{uuid.uuid4().hex[:12]}:"
    store = RedisAlertStateStore(url, prefix=prefix)
    try:
        await store.save({"abc": RuleState()})
        assert await store.client.exists(f"{prefix}alert:state:abc") == 1
        assert isinstance(store, CacheAlertStateStore)
        await store.forget(["abc"])
    finally:
        await store.close()
