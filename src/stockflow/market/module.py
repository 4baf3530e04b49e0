"""The market context: quotes, history, market status, companies, crypto rates and the quote
stream (seeds 002 §2, 003, 004), over the simulated market or real vendors with failover."""

from __future__ import annotations

from typing import Any

from stockflow.core.catalogue import STATUS_CHANGED, Topic
from stockflow.core.lifecycle import PeriodicTask
from stockflow.core.module import ADMIN_SERVICE, ContextModule, ContextParts, Plan, Platform
from stockflow.core.registry import load
from stockflow.market.config import (
    FailoverSettings,
    IngestionSettings,
    ProviderSettings,
    SimulatorSettings,
    StreamSettings,
)

SERVICE = "market-data"
SIMULATED = "stockflow.adapters.providers.simulated:SimulatedMarketProvider"


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.market.calendar import MarketCalendars
    from stockflow.market.fx import FxService
    from stockflow.market.health import providers_check
    from stockflow.market.ingest import TickSources
    from stockflow.market.ports import (
        FxRates,
        MarketReader,
        MarketStore,
        QuoteReader,
        QuoteSink,
        TickPlanner,
    )
    from stockflow.market.ports import MarketCalendars as CalendarsPort
    from stockflow.market.providers import MarketSources
    from stockflow.market.quote_cache import LastQuotes
    from stockflow.market.rates import CryptoRates
    from stockflow.market.repository import SqlMarketStore
    from stockflow.market.service import MarketDataService
    from stockflow.market.tasks import Backfill, jobs

    s = p.settings
    calendars = MarketCalendars()
    sources = _sources(p, calendars)
    provider = sources.provider
    store = SqlMarketStore(p.db)
    stale = s.failover.max_stale_seconds
    market = MarketDataService(
        store=store, provider=provider, cache=p.cache, bus=p.bus, clock=p.clock,
        calendars=calendars, metrics=p.metrics, quote_ttl=s.cache.quote_ttl_seconds,
        last_quotes=LastQuotes(p.cache, clock=p.clock, max_stale_seconds=stale),
        free_delay=s.auth.free_delay_seconds)
    fx = FxService(store=store, universe=lambda: market.universe)
    rates = CryptoRates(provider=provider, chain=sources.chain_of("crypto"), cache=p.cache,
                        ttl=s.cache.quote_ttl_seconds, market=market, fx_pairs=fx.pairs,
                        last=LastQuotes(p.cache, clock=p.clock, prefix="rate:last:",
                                        max_stale_seconds=stale))
    backfill = Backfill(provider=provider, store=store, clock=p.clock, metrics=p.metrics)
    ticks = TickSources(market, sources, calendars, watched=s.ingestion.tickers)
    parts = ContextParts(
        "market",
        ports={MarketDataService: market, MarketReader: market, QuoteSink: market,
               QuoteReader: market,
               MarketStore: store, CalendarsPort: calendars, CryptoRates: rates,
               MarketSources: sources, Backfill: backfill, TickPlanner: ticks, FxRates: fx},
        jobs=jobs(backfill, calendars, ticks, market, s),
        health={"providers": providers_check(sources)},
        on_start=[market.load_universe], on_stop=[sources.close])
    _http(parts, p, plan)
    _ingestion(parts, p, plan, market, backfill)
    return parts


def _sources(p: Platform, calendars: Any) -> Any:
    """The simulated market, and the real vendors' failover chains that settings switch on."""
    from stockflow.core.catalogue import TOPICS
    from stockflow.market.providers import ProviderCollector, build_sources

    s = p.settings
    simulated = load(SIMULATED)(seed=s.simulator.seed, calendars=calendars, clock=p.clock)

    async def on_event(type_: str, data: dict[str, Any]) -> None:
        topic: Topic = TOPICS[type_]
        await p.bus.publish(topic.name, topic.event(data, key=str(data.get("provider", ""))))

    def observe(chain: str, provider: str, seconds: float, ok: bool) -> None:
        p.metrics.provider_calls.labels(chain, provider, "ok" if ok else "error").observe(seconds)

    sources = build_sources(s, clock=p.clock, simulated=simulated, on_event=on_event,
                            observe=observe)
    if sources.router is not None:
        p.metrics.registry.register(ProviderCollector(sources))
    return sources


def _http(parts: ContextParts, p: Platform, plan: Plan) -> None:
    # Routes are imported only where they are served: a worker process needs no FastAPI.
    s = p.settings
    if plan.serves(ADMIN_SERVICE):
        from stockflow.market.admin_api import router as admin_router

        parts.admin_routers.append(admin_router)
    if not (plan.serves(SERVICE) and s.services.market_data):
        return
    from stockflow.market import api, stream_api
    from stockflow.market.streaming import QuoteHub

    hub = QuoteHub(p.pubsub, p.metrics, heartbeat=s.streams.heartbeat_seconds)
    parts.ports[QuoteHub] = hub
    parts.background.append(hub)
    parts.routers += [api.router, stream_api.router]
    parts.guards += [*api.GUARDS, *stream_api.GUARDS]
    if s.http.fast_path:
        parts.fast_routes += api.FAST_ROUTES


def _ingestion(parts: ContextParts, p: Platform, plan: Plan, market: Any,
               backfill: Any) -> None:
    """Where ticks are made: the simulated market's history first, and the status watcher."""
    from stockflow.market.ports import StartupHistory
    from stockflow.market.tasks import InitialBackfill, StatusWatcher

    s, sim = p.settings, p.settings.simulator
    if plan.runs("ingestion") and sim.enabled and sim.backfill_on_start:
        first = InitialBackfill("initial-backfill", backfill,
                                lambda: [i.ticker for i in market.universe],
                                years=sim.backfill_years, minute_days=sim.backfill_minute_days)
        parts.background.append(first)
        parts.ports[InitialBackfill] = first
        parts.ports[StartupHistory] = first

        async def history() -> dict[str, str]:
            return first.state()

        parts.ready.append(history)
    if plan.runs("ingestion") and s.services.live_quotes:
        watcher = StatusWatcher(market, p.bus, STATUS_CHANGED)
        parts.background.append(PeriodicTask("market-status", 15.0, watcher.check, p.clock))


MODULE = ContextModule(
    name="market",
    build=build,
    settings={
        "simulator": SimulatorSettings,
        "providers": (dict[str, ProviderSettings], dict),
        "failover": FailoverSettings,
        "ingestion": IngestionSettings,
        "streams": StreamSettings,
    },
    services=(SERVICE,),
    tables="stockflow.market.tables",
)
