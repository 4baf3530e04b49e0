"""Fixtures of the resilience suites: a Redis breaker store under a key prefix of its own."""

from __future__ import annotations

import uuid

import pytest

from stockflow.core.resilience.redis_store import RedisBreakerStore
from stockflow.testing.services import require_service_url


@pytest.fixture
async def redis_store():
    """A store on the test Redis; every key under its prefix is deleted afterwards."""
    url = require_service_url("STOCKFLOW_TEST_REDIS_URL", "Redis")
    store = RedisBreakerStore(url, prefix=f"test:breaker:{uuid.uuid4().hex}:", record_ttl=60)
    try:
        yield store
    finally:
        keys = [k async for k in store.client.scan_iter(match=f"{store.prefix}*")]
        if keys:
            await store.client.delete(*keys)
        await store.close()
