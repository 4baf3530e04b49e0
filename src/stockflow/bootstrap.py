"""The composition root: settings → core parts → every context, in the order of
`stockflow.contexts`. Every entry point and test calls it.

`bootstrap()` only builds objects; `Container.start()` does the I/O (connect, migrate, start
hooks, bus subscriptions, loops) for what this process's plan runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import Any

from stockflow.core import registry as adapters
from stockflow.core.clock import SystemClock
from stockflow.core.container import Container
from stockflow.core.health import platform_checks, workers_check
from stockflow.core.idempotency import build_store
from stockflow.core.lifecycle import instance_id
from stockflow.core.logging import configure_logging
from stockflow.core.metrics import Metrics
from stockflow.core.module import (
    ContextModule,
    Platform,
    Ports,
    Registry,
    collect,
    make_plan,
)
from stockflow.core.permissions import PermissionTable
from stockflow.core.ports import Clock

# Tables of the platform's own adapters (beside the contexts' tables).
PLATFORM_TABLES = ("stockflow.adapters.idempotency.tables",)


def bootstrap(settings: Any = None, *, clock: Clock | None = None, configure_logs: bool = True,
              modules: Sequence[ContextModule] | None = None,
              services: Iterable[str] | None = None) -> Container:
    from stockflow.contexts import modules as default_modules
    from stockflow.settings import load_settings

    modules = tuple(modules if modules is not None else default_modules())
    settings = settings if settings is not None else load_settings(modules)
    if configure_logs:
        configure_logging(settings.log.level, settings.log.json_logs)
    enabled = [m for m in modules if m.enabled(settings)]
    for tables in (*PLATFORM_TABLES, *(m.tables for m in enabled if m.tables)):
        importlib.import_module(tables)  # its tables join the shared metadata
    platform = _platform(settings, clock or SystemClock())
    plan = make_plan(settings, enabled, services)
    contexts = []
    for m in enabled:
        parts = m.build(platform, plan)
        for kind, impl in parts.ports.items():
            platform.ports.publish(kind, impl)
        contexts.append(parts)
    reg = platform.registry
    reg.health.update(platform_checks(platform))
    reg.health["workers"] = workers_check(reg)
    collect(contexts, reg)
    reg.permissions = PermissionTable(g for parts in contexts for g in parts.guards)
    for parts in contexts:
        for hook in parts.on_built:
            hook(reg)
    return Container(platform=platform, plan=plan, contexts=contexts, modules=enabled)


def _platform(settings: Any, clock: Clock) -> Platform:
    metrics = Metrics()
    db = adapters.build("storage", settings.storage.url, pool_size=settings.storage.pool_size,
                        echo=settings.storage.echo)
    return Platform(
        settings=settings, clock=clock, metrics=metrics, db=db,
        bus=adapters.build("bus", settings.bus.url, metrics=metrics,
                           max_retries=settings.bus.max_retries),
        cache=adapters.build("cache", settings.cache.url,
                             max_entries=settings.cache.max_entries, monotonic=clock.monotonic),
        pubsub=adapters.build("pubsub", settings.pubsub.url, metrics=metrics),
        idempotency=build_store(settings.idempotency, database=db, clock=clock),
        ports=Ports(), registry=Registry(), instance=instance_id())


async def run_until_stopped(container: Container, stop: Any) -> None:
    await container.start()
    try:
        await stop.wait()
    finally:
        await container.stop()
