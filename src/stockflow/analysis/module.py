"""The analysis context (seed 002 §4): financial statements, ratios, growth, valuation, peer
comparison and every TA-Lib indicator, over the simulated fundamentals offline or SEC EDGAR
and the vendors when settings switch them on. It reads prices through the market's
MarketReader port, so it is listed after market."""

from __future__ import annotations

from typing import Any

from stockflow.analysis.config import AnalysisSettings
from stockflow.core.health import DEGRADED, OK
from stockflow.core.module import ContextModule, ContextParts, Plan, Platform, Worker

SERVICE = "analysis"
WORKER = "analysis"


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.analysis import handlers, tasks
    from stockflow.analysis.compare import CompareService
    from stockflow.analysis.figures import StoredFigures
    from stockflow.analysis.metrics_cache import CachedRatios
    from stockflow.analysis.ports import (
        IndicatorReader,
        KeyFiguresReader,
        NoSource,
        QuarterlyResults,
        RatioReader,
        ValuationReader,
    )
    from stockflow.analysis.repository import SqlStatementStore
    from stockflow.analysis.service import AnalysisService
    from stockflow.analysis.sync import StatementSync
    from stockflow.analysis.technical_service import TechnicalService
    from stockflow.analysis.valuation_service import ValuationService
    from stockflow.analysis.wiring import build_chain, close_chain
    from stockflow.core.catalogue import TOPICS
    from stockflow.market.ports import MarketReader

    s: AnalysisSettings = p.settings.analysis
    market = p.ports.get(MarketReader)

    async def on_event(type_: str, data: dict[str, Any]) -> None:
        topic = TOPICS[type_]
        await p.bus.publish(topic.name, topic.event(data, key=str(data.get("provider", ""))))

    chain = build_chain(p.settings, p.clock, on_event)
    source = chain if chain is not None else NoSource()
    analysis = AnalysisService(SqlStatementStore(p.db), source, market, p.clock)
    ttl = float(s.metrics_ttl_seconds)
    compare = CompareService(analysis, s.max_compare, cache=p.cache, ttl=ttl)
    ratios = CachedRatios(analysis, p.cache, ttl)
    sync = StatementSync(analysis, p.bus)
    first = tasks.FirstLoad(sync)
    figures = StoredFigures(analysis)

    async def health() -> tuple[str, Any]:
        members = chain.health() if chain is not None else []
        open_ = [m["provider"] for m in members if m["breaker_state"] != "closed"]
        # A vendor's 429 blocks it for its retry-after (SEC: ten minutes) without opening it.
        blocked = {m["provider"]: m["limiter"]["blocked_for"] for m in members
                   if m["limiter"] and m["limiter"]["blocked_for"] > 0}
        detail = {"sources": [m["provider"] for m in members], "open": open_,
                  "blocked_for": blocked, "first_load": first.report}
        return (DEGRADED if open_ else OK), detail

    def worker() -> Worker:
        return Worker(WORKER, handlers=handlers.handlers(ratios, compare),
                      loops=[first] if s.preload else [], unit=first)

    valuation, technical = ValuationService(analysis, s), TechnicalService(market, p.clock)
    parts = ContextParts(
        "analysis",
        ports={AnalysisService: analysis, ValuationService: valuation,
               TechnicalService: technical, CompareService: compare,
               CachedRatios: ratios, StatementSync: sync, KeyFiguresReader: figures,
               QuarterlyResults: figures, IndicatorReader: technical,
               RatioReader: analysis, ValuationReader: valuation},
        jobs=tasks.jobs(sync, s.sync_cron), health={"fundamentals": health},
        workers={WORKER: worker}, on_stop=[lambda: close_chain(chain)])
    if plan.serves(SERVICE):
        from stockflow.analysis import api, technical_api

        parts.routers += [api.router, technical_api.technical, technical_api.compare_router]
        parts.guards += api.GUARDS
    return parts


MODULE = ContextModule(
    name="analysis",
    build=build,
    settings={"analysis": AnalysisSettings},
    services=(SERVICE,),
    workers=(WORKER,),
    tables="stockflow.analysis.tables",
    migrations="stockflow.analysis.migrations",
    enabled=lambda settings: settings.analysis.enabled,
)
