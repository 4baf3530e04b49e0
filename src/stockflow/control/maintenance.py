"""Maintenance mode: stored, shared through the cache, pushed to every instance, read locally.

The switch is written to storage (the record), then to the shared cache (what every instance
reads), then pushed on the pub/sub channel (instances apply it at once) and published as the
`maintenance.changed` event. Each instance also re-reads the cache every
`maintenance_refresh_seconds` (at most 1 s), so one that missed the push still follows within a
second. Requests only ever read the local flag: the edge check costs one attribute read.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from stockflow.control.domain import Cluster, MaintenanceState
from stockflow.control.gate import MaintenanceFlag
from stockflow.control.repository import SqlControlStore
from stockflow.core.catalogue import MAINTENANCE_CHANGED, MAINTENANCE_PUSH
from stockflow.core.lifecycle import PeriodicTask, cancel_and_wait
from stockflow.core.listening import subscribe_confirmed
from stockflow.core.logging import get_logger
from stockflow.core.ports import Cache, Clock, EventBus, PubSub

log = get_logger(__name__)
SETTING_KEY = "maintenance"
CACHE_KEY = "control:maintenance"


class MaintenanceService:
    name = "maintenance"

    def __init__(self, *, store: SqlControlStore, cache: Cache, bus: EventBus, pubsub: PubSub,
                 clock: Clock, cluster: Cluster | None = None,
                 refresh_seconds: float = 0.5) -> None:
        self.store = store
        self.cache = cache
        self.bus = bus
        self.pubsub = pubsub
        self.clock = clock
        self.cluster = cluster
        self.flag = MaintenanceFlag()
        self.state = MaintenanceState()
        self._poller = PeriodicTask("maintenance-refresh", refresh_seconds, self.refresh, clock)
        self._listener: asyncio.Task[None] | None = None
        self._cache_failing = False

    async def start(self) -> None:
        # Subscribed (and confirmed) before the state is read, so no switch falls between.
        subscription = await subscribe_confirmed(self.pubsub, MAINTENANCE_PUSH.name)
        await self.refresh(from_storage=True)
        self._listener = asyncio.create_task(self._listen(subscription),
                                             name="maintenance-listener")
        await self._poller.start()

    async def stop(self) -> None:
        await self._poller.stop()
        await cancel_and_wait(self._listener)
        self._listener = None

    def _apply(self, state: MaintenanceState) -> None:
        if state.enabled != self.flag.enabled:
            log.warning("maintenance mode " + ("on" if state.enabled else "off"),
                        by=state.changed_by, reason=state.reason)
        self.state = state
        self.flag.set(state.enabled)

    async def refresh(self, from_storage: bool = False) -> MaintenanceState:
        """Follow the shared value; storage answers when the cache has nothing (a fresh Redis).

        Only `set` writes the cache: an instance that copied what it read from storage into the
        cache could overwrite a switch made elsewhere in between with the older state."""
        try:
            raw = None if from_storage else await self.cache.get(CACHE_KEY)
            if raw is None:
                stored = await self.store.get_setting(SETTING_KEY)
                state = MaintenanceState.from_dict(stored) if stored else MaintenanceState()
            else:
                state = MaintenanceState.from_dict(orjson.loads(raw))
        except Exception as e:  # keep the last known state; log once per outage
            if not self._cache_failing:
                log.warning("maintenance state unreadable; keeping the last one", error=repr(e))
            self._cache_failing = True
            if from_storage:
                raise
            return self.state
        self._cache_failing = False
        self._apply(state)
        return state

    async def _listen(self, subscription: Any) -> None:
        try:
            async for _channel, message in subscription:
                try:
                    self._apply(MaintenanceState.from_dict(orjson.loads(message)))
                except (orjson.JSONDecodeError, TypeError, ValueError):
                    log.warning("unreadable maintenance message", size=len(message))
        finally:
            await subscription.close()

    async def set(self, enabled: bool, *, by: str, reason: str = "") -> dict[str, Any]:
        state = MaintenanceState(enabled=enabled, changed_at=self.clock.now(), changed_by=by,
                                 reason=reason)
        payload = state.to_dict()
        await self.store.put_setting(SETTING_KEY, payload, self.clock.now())
        await self.cache.set(CACHE_KEY, orjson.dumps(payload))
        self._apply(state)
        await self.pubsub.publish(MAINTENANCE_PUSH.name, orjson.dumps(payload))
        await self.bus.publish(MAINTENANCE_CHANGED.name, MAINTENANCE_CHANGED.event(payload))
        result: dict[str, Any] = {**payload, "kubernetes": None}
        if self.cluster is not None:
            # The stored switch stands even when the cluster call fails: the operator sees the
            # error in the answer and can repeat the call; the instances already follow it.
            try:
                result["kubernetes"] = {"ok": True, **await self.cluster.set_maintenance(enabled)}
            except Exception as e:  # noqa: BLE001 - reported to the operator, not raised
                log.error("kubernetes maintenance update failed", error=str(e))
                result["kubernetes"] = {"ok": False, "error": str(e)}
        return result

    def status(self) -> dict[str, Any]:
        return self.state.to_dict()
