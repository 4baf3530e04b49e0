"""Maintenance set on one instance reaches another sharing Redis (cache and pub/sub)."""

from __future__ import annotations

from contextlib import AsyncExitStack

import redis.asyncio as aioredis

from stockflow.control.maintenance import CACHE_KEY, MaintenanceService
from stockflow.core.clock import SystemClock
from stockflow.testing.eventually import eventually
from tests.e2e.admin_app import ADMIN, admin_app
from tests.integration.conftest import cleanup_redis


async def test_two_instances_follow_one_switch(tmp_path, shared_redis):
    url, prefixed, prefix = shared_redis
    # One storage (a shared SQLite file stands in for the shared database), one Redis. The
    # instances' clocks are fake and never move, so the periodic cache read cannot be what
    # carries the switch here: the pub/sub push is.
    shared = {"data_dir": tmp_path, "cache": {"url": prefixed}, "pubsub": {"url": prefixed}}
    try:
        async with AsyncExitStack() as stack:
            _, a_client = await stack.enter_async_context(admin_app(tmp_path, **shared))
            b, b_client = await stack.enter_async_context(admin_app(tmp_path, **shared))
            assert (await b_client.get("/v1/quotes/NVDA")).status_code == 200
            await a_client.get("/api/admin/maintenance/on", headers=ADMIN)
            await eventually(lambda: b.port(MaintenanceService).flag.enabled)
            assert (await b_client.get("/v1/quotes/NVDA")).status_code == 503
            await a_client.post("/api/admin/maintenance/off", headers=ADMIN)
            await eventually(lambda: not b.port(MaintenanceService).flag.enabled)
            assert (await b_client.get("/v1/quotes/NVDA")).status_code == 200
    finally:
        await cleanup_redis(url, prefix)


async def test_an_instance_that_missed_the_push_follows_the_cache(tmp_path, shared_redis):
    url, prefixed, prefix = shared_redis
    shared = {"cache": {"url": prefixed}, "pubsub": {"url": prefixed}}
    try:
        async with admin_app(tmp_path, clock=SystemClock(), **shared) as (b, _):
            # Written the way another instance writes it, but with no pub/sub message: only the
            # periodic cache read can bring it here.
            client = aioredis.Redis.from_url(url)
            await client.set(prefix + CACHE_KEY, b'{"enabled": true, "changed_by": "other"}')
            await client.aclose()
            await eventually(lambda: b.port(MaintenanceService).flag.enabled)
            assert b.port(MaintenanceService).status()["changed_by"] == "other"
    finally:
        await cleanup_redis(url, prefix)
