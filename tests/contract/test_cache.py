"""Cache contract, run on every adapter: in-process and Redis (STOCKFLOW_TEST_REDIS_URL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from stockflow.core import registry
from stockflow.core.ports import Cache
from stockflow.testing.services import require_service_url

REDIS_URL_ENV = "STOCKFLOW_TEST_REDIS_URL"


@pytest.fixture(params=["memory", "redis"])
async def cache(request) -> AsyncIterator[Cache]:
    if request.param == "memory":
        c = registry.build("cache", "memory://", max_entries=10_000)
        yield c
        await c.close()
        return
    url = require_service_url(REDIS_URL_ENV, "Redis")
    prefix = f"stockflow-test:{uuid.uuid4().hex[:12]}:"
    # The composition root passes the memory cache's settings too; Redis must accept them.
    c = registry.build("cache", f"{url}{'&' if '?' in url else '?'}prefix={prefix}",
                       max_entries=10_000)
    try:
        yield c
    finally:
        await c.close()
        client = aioredis.Redis.from_url(url)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_implements_the_port(cache: Cache) -> None:
    assert isinstance(cache, Cache)


async def test_get_set_overwrite_and_binary_values(cache: Cache) -> None:
    assert await cache.get("missing") is None
    await cache.set("k", b"\x00\xffvalue")
    assert await cache.get("k") == b"\x00\xffvalue"
    await cache.set("k", b"v2")
    assert await cache.get("k") == b"v2"


async def test_ttl_expires(cache: Cache) -> None:
    await cache.set("short", b"1", ttl=0.2)
    await cache.set("forever", b"2")
    await cache.set("no-ttl", b"3", ttl=None)
    assert await cache.get("short") == b"1"
    await asyncio.sleep(0.4)
    assert await cache.get("short") is None
    assert await cache.get("forever") == b"2"
    assert await cache.get("no-ttl") == b"3"


async def test_get_many_keeps_the_order_of_the_keys(cache: Cache) -> None:
    assert await cache.get_many([]) == []
    await cache.set("a", b"A")
    await cache.set("c", b"C")
    assert await cache.get_many(["c", "b", "a", "c"]) == [b"C", None, b"A", b"C"]


async def test_set_many_with_and_without_ttl(cache: Cache) -> None:
    await cache.set_many({})
    await cache.set_many({f"q{i}": str(i).encode() for i in range(2500)}, ttl=60)
    await cache.set_many({"s1": b"1", "s2": b"2"}, ttl=0.2)
    await cache.set_many({"p1": b"1", "p2": b"2"})
    assert await cache.get_many(["q0", "q2499", "s2", "p1"]) == [b"0", b"2499", b"2", b"1"]
    await asyncio.sleep(0.4)
    assert await cache.get_many(["q0", "s1", "s2", "p1", "p2"]) == [b"0", None, None, b"1", b"2"]


async def test_delete(cache: Cache) -> None:
    await cache.set("k", b"v")
    await cache.delete("k")
    await cache.delete("never-there")
    assert await cache.get("k") is None
