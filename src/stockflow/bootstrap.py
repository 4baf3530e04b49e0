"""The composition root: settings → adapters → bus → services. Every entry point and test calls it.

`bootstrap()` only builds objects; `Container.start()` does the I/O (connect, migrate, spawn loops).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
from stockflow.core.events import make_event
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
from stockflow.market.providers import MarketSources, ProviderCollector, build_sources
from stockflow.market.quote_cache import LastQuotes
from stockflow.market.rates import CryptoRates
from stockflow.market.service import MarketDataService
from stockflow.market.streaming import QuoteHub
from stockflow.market.tasks import Backfill, StatusWatcher
from stockflow.pipeline.ingestion import IngestionPlan
from stockflow.pipeline.metrics import PipelineMetrics
from stockflow.pipeline.workers import IngestionWorker
from stockflow.settings import Settings, load_settings
from stockflow.users.holdings import HoldingsService
from stockflow.users.ratelimit import RateLimiter
from stockflow.users.service import AccountService
from stockflow.users.tokens import TokenService

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
    sources: MarketSources
    last_quotes: LastQuotes
    market: MarketDataService
    rates: CryptoRates
    backfill: Backfill
    status_watcher: StatusWatcher
    pubsub: PubSub
    hub: QuoteHub
    pipeline_metrics: PipelineMetrics
    tokens: TokenService
    limiter: RateLimiter
    accounts: AccountService
    holdings: HoldingsService
    control_store: SqlControlStore
    maintenance: MaintenanceService
    health: HealthService
    snapshots: SnapshotService
    health_job: HealthCheckJob
    jobs: JobService
    scheduler: Scheduler
    workers: dict[str, Runnable] = field(default_factory=dict)
    poller: IngestionWorker | None = None
    background: list[Runnable] = field(default_factory=list)
    initial_backfill: OneShot | None = None
    started: bool = False

    async def start(self) -> None:
        """Connect, migrate, load the universe, then start the enabled loops."""
        if self.started:
            return
        # Every process shape verifies tokens, so every one loads the key ring.
        self.accounts.load_keys(self.settings.data_dir)
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
        from stockflow.pipeline.ingestion import plan_ingestion, quote_poller

        plan = plan_ingestion(self)
        # Polling real providers is the quote-ingestion job's, wherever the scheduler runs it.
        self.poller = quote_poller(self, plan)
        if self.poller is None:
            # Nothing to poll: no run every 15 s that would only record "skipped".
            self.jobs.enabled.discard("quote-ingestion")
        self.workers = build_workers(self, roles, plan)
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
        await self.sources.close()
        await self.pubsub.close()
        await self.cache.close()
        await self.limiter.close()
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

        simulated = SimulatedMarketProvider(seed=settings.simulator.seed, calendars=calendars,
                                            clock=clock)
        sources = build_sources(settings, clock=clock, simulated=simulated,
                                on_event=_provider_events(bus),
                                observe=_provider_latency(metrics))
        if sources.router is not None:
            metrics.registry.register(ProviderCollector(sources))
    else:
        sources = MarketSources(provider=provider)
    provider = sources.provider
    from stockflow.market.repository import SqlMarketStore

    store = SqlMarketStore(db)
    last_quotes = LastQuotes(cache, clock=clock,
                             max_stale_seconds=settings.failover.max_stale_seconds)
    market = MarketDataService(store=store, provider=provider, cache=cache, bus=bus, clock=clock,
                               calendars=calendars, metrics=metrics,
                               quote_ttl=settings.cache.quote_ttl_seconds,
                               last_quotes=last_quotes)
    auth = settings.auth
    tokens = TokenService(issuer=auth.issuer, audience=auth.audience,
                          access_ttl=auth.access_ttl_seconds, leeway=auth.leeway_seconds)
    limiter = RateLimiter(auth.rate_limit_url, prefix=auth.rate_limit_prefix)
    from stockflow.users.holdings_repository import SqlHoldingsStore
    from stockflow.users.passwords import Passwords
    from stockflow.users.repository import SqlAccountStore

    accounts = AccountService(
        store=SqlAccountStore(db), tokens=tokens, limiter=limiter, bus=bus, settings=auth,
        passwords=Passwords(time_cost=auth.argon2_time_cost, memory_kib=auth.argon2_memory_kib,
                            parallelism=auth.argon2_parallelism))
    holdings = HoldingsService(store=SqlHoldingsStore(db), market=market, bus=bus, clock=clock)
    control_store = SqlControlStore(db)
    cluster = _cluster(settings)
    maintenance = MaintenanceService(
        store=control_store, cache=cache, bus=bus, pubsub=pubsub, clock=clock, cluster=cluster,
        refresh_seconds=settings.control.maintenance_refresh_seconds)
    jobs = JobService(JOBS, SqlJobStore(db), clock, schedules=settings.jobs.schedules,
                      disabled=set(settings.jobs.disabled),
                      lock_ttl=settings.jobs.lock_ttl_seconds,
                      metrics=JobMetrics(metrics.registry),
                      history_days=settings.jobs.history_days)
    health = HealthService(timeout=settings.control.health_timeout_seconds)
    snapshots = SnapshotService(
        store=control_store, health=health, clock=clock, settings=settings,
        registry=metrics.registry, recent_runs=jobs.store.recent_failures,
        maintenance=maintenance, cluster=cluster, kubesnap=_kubesnap(settings),
        deploy_type=settings.control.deploy_type)
    container = Container(
        tokens=tokens, limiter=limiter, accounts=accounts, holdings=holdings,
        settings=settings, clock=clock, metrics=metrics, db=db, bus=bus, cache=cache,
        calendars=calendars, provider=provider, sources=sources, last_quotes=last_quotes,
        market=market,
        rates=CryptoRates(provider=provider, chain=sources.chain_of("crypto"), cache=cache,
                          ttl=settings.cache.quote_ttl_seconds,
                          last=LastQuotes(cache, clock=clock, prefix="rate:last:",
                                          max_stale_seconds=settings.failover.max_stale_seconds)),
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


def _provider_events(bus: EventBus) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    async def publish(type_: str, data: dict[str, Any]) -> None:
        await bus.publish(type_, make_event(type_, data, key=str(data.get("provider", ""))))

    return publish


def _provider_latency(metrics: Metrics) -> Callable[[str, str, float, bool], None]:
    def observe(chain: str, provider: str, seconds: float, ok: bool) -> None:
        metrics.provider_calls.labels(chain, provider, "ok" if ok else "error").observe(seconds)

    return observe


def build_workers(c: Container, roles: set[str], plan: IngestionPlan) -> dict[str, Runnable]:
    """The pipeline workers this process runs, wired to the container's adapters."""
    from stockflow.market.repository import SqlMarketStore
    from stockflow.pipeline import workers as w
    from stockflow.pipeline.ingestion import ingestion_workers
    from stockflow.pipeline.processor import TickProcessor
    from stockflow.pipeline.repository import SqlTickStore

    s, pm = c.settings, c.pipeline_metrics
    built: dict[str, Runnable] = {}
    if "ingestion" in roles and s.services.live_quotes:
        built.update(ingestion_workers(c, plan))
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
                                                  quote_ttl=s.cache.quote_ttl_seconds,
                                                  last_quotes=c.last_quotes)
    return built


async def run_until_stopped(container: Container, stop: asyncio.Event) -> None:
    await container.start()
    try:
        await stop.wait()
    finally:
        await container.stop()
