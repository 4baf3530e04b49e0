"""Fixtures of the integration suites: a Redis shared by several instances, under a prefix of
its own, emptied afterwards."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from stockflow.testing.services import require_service_url


@pytest.fixture
def shared_redis():
    """(Redis URL, the same URL with a key prefix for the instances, the prefix)."""
    url = require_service_url("STOCKFLOW_TEST_REDIS_URL", "Redis")
    prefix = f"stockflow-test:{uuid.uuid4().hex[:12]}:"
    sep = "&" if "?" in url else "?"
    yield url, f"{url}{sep}prefix={prefix}", prefix
    # Keys left by the cache are removed by the test, in its own loop (cleanup_redis).


async def cleanup_redis(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
