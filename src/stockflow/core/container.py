"""A built platform and its contexts for one process: start (connect, migrate, start hooks,
bus subscriptions from the handler tables, loops), stop, readiness. Made by `bootstrap()`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from stockflow.core import registry as adapters
from stockflow.core.logging import get_logger
from stockflow.core.module import (
    READY_STATES,
    ContextModule,
    ContextParts,
    Plan,
    Platform,
    Runnable,
)
from stockflow.core.subscriptions import subscribe

log = get_logger(__name__)
T = TypeVar("T")


@dataclass
class Container:
    """One platform and the contexts built on it for one process."""

    platform: Platform
    plan: Plan
    contexts: list[ContextParts]
    modules: Sequence[ContextModule]
    background: list[Runnable] = field(default_factory=list)
    started: bool = False

    @property
    def settings(self) -> Any:
        return self.platform.settings

    def __getattr__(self, name: str) -> Any:
        # The core parts (clock, metrics, db, bus, cache, pubsub, registry) read as attributes.
        if name in Platform.__dataclass_fields__:
            return getattr(self.platform, name)
        raise AttributeError(name)

    def port(self, kind: type[T]) -> T:
        return self.platform.ports.get(kind)

    def task(self, name: str) -> Runnable:
        """A started loop or background task by name (for operators and tests)."""
        found = next((t for t in self.background if t.name == name), None)
        if found is None:
            raise LookupError(f"no task {name!r}; running: {[t.name for t in self.background]}")
        return found

    async def start(self) -> None:
        """Connect, migrate, run each context's start hooks, then start what the plan runs."""
        if self.started:
            return
        p = self.platform
        await p.db.connect()
        await p.db.migrate([m.migrations for m in self.modules if m.migrations])
        for parts in self.contexts:
            for hook in parts.on_start:
                await hook()
        loops: list[Runnable] = []
        for name in sorted(self.plan.workers):
            worker = p.registry.workers[name]()
            p.registry.running_workers[name] = worker
            for spec in worker.handlers:
                subscribe(p.bus, spec, p.idempotency, p.clock)
            loops.extend(worker.loops)
        await p.bus.start()
        self.background = [*loops, *(b for parts in self.contexts for b in parts.background)]
        for task in self.background:
            await task.start()
        self.started = True
        log.info("stockflow started", storage=p.db.dialect,
                 bus=adapters.scheme_of(p.settings.bus.url),
                 cache=adapters.scheme_of(p.settings.cache.url),
                 contexts=[c.name for c in self.contexts], workers=sorted(self.plan.workers))

    async def stop(self) -> None:
        for task in reversed(self.background):
            await task.stop()
        self.background.clear()
        self.platform.registry.running_workers.clear()
        p = self.platform
        await p.bus.stop()
        for parts in reversed(self.contexts):
            for hook in parts.on_stop:
                await hook()
        await p.pubsub.close()
        await p.cache.close()
        await p.idempotency.close()
        await p.db.close()
        self.started = False

    async def ready(self) -> dict[str, Any]:
        storage_ok = await self.platform.db.ping()
        checks: dict[str, str] = {"storage": "ok" if storage_ok else "unreachable"}
        for parts in self.contexts:
            for check in parts.ready:
                checks.update(await check())
        ok = storage_ok and all(v in READY_STATES for v in checks.values())
        self.platform.metrics.ready.set(1 if ok else 0)
        return checks
