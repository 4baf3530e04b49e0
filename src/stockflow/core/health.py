"""Health states and the platform's own component checks (storage, bus, cache, pub/sub).
Contexts add theirs in their module (`ContextParts.health`); the controller checks them all."""

from __future__ import annotations

import time
from typing import Any

from stockflow.core.catalogue import HEALTH_PROBE
from stockflow.core.module import Check, Platform, Registry

OK, DEGRADED, DOWN, DISABLED = "ok", "degraded", "down", "disabled"


def platform_checks(p: Platform) -> dict[str, Check]:
    async def storage() -> tuple[str, Any]:
        ok = await p.db.ping()
        return (OK if ok else DOWN), {"dialect": p.db.dialect}

    async def bus() -> tuple[str, Any]:
        # A real publish: it goes through the broker (XADD, JetStream ack); no group consumes it.
        await p.bus.publish(HEALTH_PROBE.name, HEALTH_PROBE.event({}))
        return OK, None

    async def cache() -> tuple[str, Any]:
        key, value = "control:health:probe", str(time.time_ns()).encode()
        await p.cache.set(key, value, ttl=30)
        return (OK if await p.cache.get(key) == value else DOWN), None

    async def pubsub() -> tuple[str, Any]:
        await p.pubsub.publish(HEALTH_PROBE.name, b"{}")
        return OK, None

    return {"storage": storage, "bus": bus, "cache": cache, "pubsub": pubsub}


def workers_check(registry: Registry) -> Check:
    async def workers() -> tuple[str, Any]:
        names = sorted(registry.running_workers)
        return (OK if names else DISABLED), {"workers": names}

    return workers
