"""The composition root: settings → adapters → bus → services. Every entry point and test calls it.

`bootstrap()` only builds objects; `Container.start()` does the I/O (connect, migrate, spawn loops).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from stockflow.control.domain import Cluster, SnapshotSource
from stockflow.control.health import HealthService
from stockflow.control.maintenance import MaintenanceService
from stockflow.control.repository import SqlControlStore
from stockflow.control.snapshots import SnapshotService
from stockflow.control.tasks import HealthCheckJob
from stockflow.core import registry
from stockflow.core.clock import SystemClock
from stockflow.core.lifecycle import OneShot, PeriodicTask
from stockflow.core.logging import configure_logging, get_logger
from stockflow.core.metrics import Metrics
from stockflow.core.ports import Cache, Clock, Database, EventBus, MarketDataProvider, PubSub
from stockflow.core.resilience.backoff import RetryPolicy
from stockflow.jobs.metrics import JobMetrics
from stockflow.jobs.repository import SqlJobStore
from stockflow.jobs.service import JobService, Scheduler
from stockflow.jobs.table import JOBS
from stockflow.market.calendar import MarketCalendars
from stockflow.market.service import MarketDataService
from stockflow.market.streaming import QuoteHub
from stockflow.market.tasks import Backfill, StatusWatcher
from stockflow.pipeline.metrics import PipelineMetrics
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
    pubsub: PubSub
    hub: QuoteHub
    pipeline_metrics: PipelineMetrics
    control_store: SqlControlStore
    maintenance: MaintenanceService
    health: HealthService
    snapshots: SnapshotService
    health_job: HealthCheckJob
    jobs: JobService
    scheduler: Scheduler
    workers: dict[str, Runnable] = field(default_factory=dict)
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
        # First, so that a process started during maintenance never serves a public request.
        self.background.append(self.maintenance)
        services, sim = self.settings.services, self.settings.simulator
        roles = set(services.workers)
        if "ingestion" in roles and sim.enabled and sim.backfill_on_start:
            tickers = [i.ticker for i in self.market.universe]
            self.initial_backfill = OneShot("initial-backfill", lambda: self.backfill.run(
                tickers, years=sim.backfill_years, minute_days=sim.backfill_minute_days,
                only_missing=True))
            self.background.append(self.initial_backfill)
        if services.market_data:
            self.background.append(self.hub)
        self.workers = build_workers(self, roles)
        self.background.extend(self.workers.values())
        if "ingestion" in roles and services.live_quotes:
            self.background.append(PeriodicTask("market-status", 15.0,
                                                self.status_watcher.check, self.clock))
        if self.settings.jobs.enabled:
            self.background.append(self.scheduler)
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
        await self.pubsub.close()
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
    pipeline_metrics = PipelineMetrics(metrics.registry)
    db = registry.build("storage", settings.storage.url, pool_size=settings.storage.pool_size,
                        echo=settings.storage.echo)
    bus = registry.build("bus", settings.bus.url, metrics=metrics,
                         max_retries=settings.bus.max_retries)
    cache = registry.build("cache", settings.cache.url, max_entries=settings.cache.max_entries,
                           monotonic=clock.monotonic)
    pubsub = registry.build("pubsub", settings.pubsub.url, metrics=metrics)
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
    control_store = SqlControlStore(db)
    cluster = _cluster(settings)
    maintenance = MaintenanceService(
        store=control_store, cache=cache, bus=bus, pubsub=pubsub, clock=clock, cluster=cluster,
        refresh_seconds=settings.control.maintenance_refresh_seconds)
    jobs = JobService(JOBS, SqlJobStore(db), clock, schedules=settings.jobs.schedules,
                      disabled=set(settings.jobs.disabled),
                      lock_ttl=settings.jobs.lock_ttl_seconds,
                      metrics=JobMetrics(metrics.registry))
    health = HealthService(timeout=settings.control.health_timeout_seconds)
    snapshots = SnapshotService(
        store=control_store, health=health, clock=clock, settings=settings,
        registry=metrics.registry, recent_runs=jobs.store.recent_failures,
        maintenance=maintenance, cluster=cluster, kubesnap=_kubesnap(settings),
        deploy_type=settings.control.deploy_type)
    container = Container(
        settings=settings, clock=clock, metrics=metrics, db=db, bus=bus, cache=cache,
        calendars=calendars, provider=provider, market=market,
        backfill=Backfill(provider=provider, store=store, clock=clock, metrics=metrics),
        status_watcher=StatusWatcher(market, bus),
        pubsub=pubsub,
        hub=QuoteHub(pubsub, pipeline_metrics),
        pipeline_metrics=pipeline_metrics,
        control_store=control_store, maintenance=maintenance, health=health,
        snapshots=snapshots, health_job=_health_job(settings, health, snapshots, bus, clock),
        jobs=jobs, scheduler=Scheduler(jobs, clock),
    )
    # Job bodies and component checks are built from the container, so they see every part.
    jobs.context = health.context = container
    return container


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _cluster(settings: Settings) -> Cluster | None:
    k8s = settings.control.kubernetes
    if not k8s.enabled:
        return None
    from stockflow.adapters.ops.kubernetes import KubernetesClient

    return KubernetesClient(api_url=k8s.api_url, namespace=k8s.namespace,
                            configmap=k8s.configmap, restart_deployments=k8s.restart_deployments,
                            token_path=k8s.token_path, ca_path=k8s.ca_path,
                            timeout=k8s.timeout_seconds)


def _kubesnap(settings: Settings) -> SnapshotSource | None:
    control = settings.control
    if not control.kubesnap_url:
        return None
    from stockflow.adapters.ops.http import KubesnapClient

    return KubesnapClient(control.kubesnap_url, _secret(control.kubesnap_api_key),
                          timeout=control.health_timeout_seconds)


def _health_job(settings: Settings, health: HealthService, snapshots: SnapshotService,
                bus: EventBus, clock: Clock) -> HealthCheckJob:
    control = settings.control
    alerts = None
    if control.event_dispatcher_url:
        from stockflow.adapters.ops.http import EventDispatcherClient

        alerts = EventDispatcherClient(control.event_dispatcher_url,
                                       _secret(control.event_dispatcher_api_key),
                                       timeout=control.health_timeout_seconds)
    policy = RetryPolicy(attempts=control.alert_attempts, base=control.alert_backoff_base_seconds,
                         cap=control.alert_backoff_cap_seconds)
    return HealthCheckJob(health=health, snapshots=snapshots, bus=bus, clock=clock,
                          alerts=alerts, targets=control.health_targets,
                          api_key=_secret(control.api_key),
                          timeout=control.health_timeout_seconds, policy=policy)


def build_workers(c: Container, roles: set[str]) -> dict[str, Runnable]:
    """The pipeline workers this process runs, wired to the container's adapters."""
    from stockflow.market.repository import SqlMarketStore
    from stockflow.pipeline import workers as w
    from stockflow.pipeline.processor import TickProcessor
    from stockflow.pipeline.repository import SqlTickStore
    from stockflow.pipeline.sources import SimulatedTickSource

    s, pm = c.settings, c.pipeline_metrics
    built: dict[str, Runnable] = {}
    if "ingestion" in roles and s.services.live_quotes and hasattr(c.provider, "quote_sync"):
        source = SimulatedTickSource(c.provider, [i.ticker for i in c.market.universe])
        built["ingestion"] = w.IngestionWorker(source, c.bus, c.clock, pm,
                                               interval=s.simulator.tick_interval_seconds)
    if "processor" in roles:
        universe = {i.ticker: i for i in c.market.universe}
        processor = TickProcessor(
            symbol_map=s.pipeline.symbol_map, universe=set(universe),
            exchange_of=lambda t: universe[t].exchange if t in universe else None,
            instrument_of=universe.get, calendars=c.calendars,
            lateness_seconds=s.pipeline.lateness_seconds,
            max_future_seconds=s.pipeline.max_future_seconds)
        built["processor"] = w.ProcessorWorker(processor, c.bus, c.clock, pm,
                                               max_batch=s.pipeline.processor_batch_events)
    if "storage" in roles:
        built["storage"] = w.StorageWriter(SqlTickStore(c.db, dedup=s.pipeline.dedup),
                                           SqlMarketStore(c.db), c.bus, pm,
                                           max_batch=s.pipeline.storage_batch_events,
                                           crash_after_commits=s.pipeline.crash_after_commits)
    if "realtime" in roles:
        built["realtime"] = w.RealtimeBroadcaster(c.bus, c.cache, c.pubsub,
                                                  quote_ttl=s.cache.quote_ttl_seconds)
    return built


async def run_until_stopped(container: Container, stop: asyncio.Event) -> None:
    await container.start()
    try:
        await stop.wait()
    finally:
        await container.stop()
