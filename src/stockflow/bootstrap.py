"""The composition root: settings → adapters → bus → services. Every entry point and test calls it.

`bootstrap()` only builds objects; `Container.start()` does the I/O (connect, migrate, spawn loops).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from stockflow.core import registry
from stockflow.core.clock import SystemClock
from stockflow.core.lifecycle import OneShot, PeriodicTask
from stockflow.core.logging import configure_logging, get_logger
from stockflow.core.metrics import Metrics
from stockflow.core.ports import Cache, Clock, Database, EventBus, MarketDataProvider
from stockflow.market.calendar import MarketCalendars
from stockflow.market.service import MarketDataService
from stockflow.market.tasks import Backfill, StatusWatcher
from stockflow.settings import Settings, load_settings

log = get_logger(__name__)


class Runnable(Protocol):
    name: str

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass
class Container:
    settings: Settings
    clock: Clock
    metrics: Metrics
    db: Database
    bus: EventBus
    cache: Cache
    calendars: MarketCalendars
    provider: MarketDataProvider
    market: MarketDataService
    backfill: Backfill
    status_watcher: StatusWatcher
    background: list[Runnable] = field(default_factory=list)
    initial_backfill: OneShot | None = None
    started: bool = False

    async def start(self) -> None:
        """Connect, migrate, load the universe, then start the enabled loops."""
        if self.started:
            return
        await self.db.connect()
        await self.db.migrate()
        await self.market.load_universe()
        await self.bus.start()
        sim = self.settings.simulator
        if sim.enabled and sim.backfill_on_start:
            tickers = [i.ticker for i in self.market.universe]
            self.initial_backfill = OneShot("initial-backfill", lambda: self.backfill.run(
                tickers, years=sim.backfill_years, minute_days=sim.backfill_minute_days,
                only_missing=True))
            self.background.append(self.initial_backfill)
        if self.settings.services.live_quotes:
            self.background.append(PeriodicTask("live-quotes", sim.tick_interval_seconds,
                                                self.market.refresh_quotes, self.clock))
            self.background.append(PeriodicTask("market-status", 15.0,
                                                self.status_watcher.check, self.clock))
        for task in self.background:
            await task.start()
        self.started = True
        log.info("stockflow started", storage=self.db.dialect,
                 bus=registry.scheme_of(self.settings.bus.url),
                 cache=registry.scheme_of(self.settings.cache.url),
                 instruments=len(self.market.universe))

    async def stop(self) -> None:
        for task in reversed(self.background):
            await task.stop()
        self.background.clear()
        await self.bus.stop()
        await self.cache.close()
        await self.db.close()
        self.started = False

    async def ready(self) -> dict[str, Any]:
        storage_ok = await self.db.ping()
        backfilled = self.initial_backfill is None or self.initial_backfill.done.is_set()
        self.metrics.ready.set(1 if storage_ok and backfilled else 0)
        return {"storage": "ok" if storage_ok else "unreachable",
                "history": "ready" if backfilled else "backfilling"}


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None,
              provider: MarketDataProvider | None = None, configure_logs: bool = True,
              ) -> Container:
    settings = settings or load_settings()
    if configure_logs:
        configure_logging(settings.log.level, settings.log.json_logs)
    clock = clock or SystemClock()
    metrics = Metrics()
    db = registry.build("storage", settings.storage.url, pool_size=settings.storage.pool_size,
                        echo=settings.storage.echo)
    bus = registry.build("bus", settings.bus.url, metrics=metrics,
                         max_retries=settings.bus.max_retries)
    cache = registry.build("cache", settings.cache.url, max_entries=settings.cache.max_entries,
                           monotonic=clock.monotonic)
    calendars = MarketCalendars()
    if provider is None:
        from stockflow.adapters.providers.simulated import SimulatedMarketProvider

        provider = SimulatedMarketProvider(seed=settings.simulator.seed, calendars=calendars,
                                           clock=clock)
    from stockflow.market.repository import SqlMarketStore

    store = SqlMarketStore(db)
    market = MarketDataService(store=store, provider=provider, cache=cache, bus=bus, clock=clock,
                               calendars=calendars, metrics=metrics,
                               quote_ttl=settings.cache.quote_ttl_seconds)
    return Container(
        settings=settings, clock=clock, metrics=metrics, db=db, bus=bus, cache=cache,
        calendars=calendars, provider=provider, market=market,
        backfill=Backfill(provider=provider, store=store, clock=clock, metrics=metrics),
        status_watcher=StatusWatcher(market, bus),
    )


async def run_until_stopped(container: Container, stop: asyncio.Event) -> None:
    await container.start()
    try:
        await stop.wait()
    finally:
        await container.stop()
