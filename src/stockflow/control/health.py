"""Component health: one check per component, each timed, in one table.

A check gets the container and returns (state, detail); raising, or taking longer than the
timeout, makes the component "down" with the error as detail. A context adds its component with
one line in COMPONENTS.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from stockflow.control.domain import DEGRADED, DISABLED, DOWN, OK, ComponentHealth
from stockflow.core.events import make_event

Check = Callable[[Any], Awaitable[tuple[str, Any]]]
PROBE_TOPIC = "control.health.probe"


async def _storage(c: Any) -> tuple[str, Any]:
    ok = await c.db.ping()
    return (OK if ok else DOWN), {"dialect": c.db.dialect}


async def _bus(c: Any) -> tuple[str, Any]:
    # A real publish: it goes through the broker (XADD, JetStream ack); no group consumes it.
    await c.bus.publish(PROBE_TOPIC, make_event(PROBE_TOPIC, {}))
    return OK, None


async def _cache(c: Any) -> tuple[str, Any]:
    key, value = "control:health:probe", str(time.time_ns()).encode()
    await c.cache.set(key, value, ttl=30)
    return (OK if await c.cache.get(key) == value else DOWN), None


async def _pubsub(c: Any) -> tuple[str, Any]:
    await c.pubsub.publish(PROBE_TOPIC, b"{}")
    return OK, None


async def _workers(c: Any) -> tuple[str, Any]:
    names = sorted(c.workers)
    if not names:
        return DISABLED, {"workers": []}
    return (OK if c.started else DOWN), {"workers": names}


async def _scheduler(c: Any) -> tuple[str, Any]:
    if not c.settings.jobs.enabled:
        return DISABLED, None
    scheduler = c.scheduler
    return (OK if scheduler.running else DOWN), {
        "next_runs": {n: t.isoformat() for n, t in scheduler.next_runs.items()}}


async def _providers(c: Any) -> tuple[str, Any]:
    """Degraded while any vendor's breaker is open; down when every vendor of an asset class is
    (that class is then served stale or not at all)."""
    rows = c.sources.health()
    tripped = [f"{r['chain']}:{r['provider']}" for r in rows if r["breaker_state"] == "open"]
    chains_down = [chain for chain in c.sources.chains
                   if all(r["breaker_state"] == "open" for r in rows if r["chain"] == chain)]
    state = DOWN if chains_down else DEGRADED if tripped else OK
    return state, {"live": c.sources.live, "simulated": c.sources.simulated_classes,
                   "open_breakers": tripped, "chains_down": chains_down}


COMPONENTS: dict[str, Check] = {
    "storage": _storage,
    "bus": _bus,
    "cache": _cache,
    "pubsub": _pubsub,
    "workers": _workers,
    "scheduler": _scheduler,
    "providers": _providers,
}


async def check_component(name: str, check: Check, context: Any,
                          timeout: float) -> ComponentHealth:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            state, detail = await check(context)
    except TimeoutError:
        state, detail = DOWN, f"no answer within {timeout:g} s"
    except Exception as e:  # noqa: BLE001 - a health check reports, it does not raise
        state, detail = DOWN, f"{type(e).__name__}: {e}"
    latency = round((time.perf_counter() - started) * 1000, 3)
    return ComponentHealth(name, state, latency, detail)


class HealthService:
    """Checks the components of this process, all at once."""

    def __init__(self, context: Any = None, *, timeout: float = 5.0,
                 components: dict[str, Check] | None = None) -> None:
        self.context = context  # the container, set by the composition root
        self.timeout = timeout
        self.components = components if components is not None else COMPONENTS
        self._last: tuple[float, list[ComponentHealth]] | None = None

    async def check(self, max_age: float = 0.0) -> list[ComponentHealth]:
        """Check every component; with `max_age`, a result that recent is reused (the public
        /api/health must not turn each anonymous request into a broker write)."""
        now = time.monotonic()
        if max_age and self._last is not None and now - self._last[0] < max_age:
            return self._last[1]
        result = list(await asyncio.gather(*(
            check_component(name, check, self.context, self.timeout)
            for name, check in self.components.items())))
        self._last = (now, result)
        return result
