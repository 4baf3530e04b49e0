"""The intel context's declaration (seed 001's Market Intel): briefs per ticker and market-wide
from the other contexts' ports, an OpenAI-compatible model behind a breaker when configured,
the template otherwise, and the orchestrator's watchlist-brief jobs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr

from stockflow.core.module import ContextModule, ContextParts, Plan, Platform
from stockflow.intel.config import OPENAI_URL, IntelSettings

SERVICE = "intel"
# Seed 001 names the key OPENAI_API_KEY; it is read as it is, without the STOCKFLOW_ prefix.
OpenAIKey = Annotated[SecretStr | None, Field(validation_alias="OPENAI_API_KEY")]


def _writer(s: IntelSettings) -> Any:
    if s.base_url is None and s.api_key is None:
        return None
    from stockflow.core.registry import build as build_adapter

    return build_adapter(
        "llm", s.base_url or OPENAI_URL, api_key=s.api_key.get_secret_value() if s.api_key else None,
        model=s.model, timeout=s.timeout_seconds, retries=s.retries, stream=s.stream,
        max_tokens=s.max_tokens, temperature=s.temperature,
        backoff_base=s.backoff_base_seconds)


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.alerts.ports import Deliveries
    from stockflow.analysis.ports import IndicatorReader, RatioReader, ValuationReader
    from stockflow.core.health import DEGRADED, OK
    from stockflow.core.resilience import CircuitBreaker
    from stockflow.intel import tasks
    from stockflow.intel.facts import FactsAssembler
    from stockflow.intel.metrics import IntelMetrics
    from stockflow.intel.repository import SqlDeliveryLog
    from stockflow.intel.service import IntelService
    from stockflow.market.ports import QuoteReader
    from stockflow.news.ports import NewsReader
    from stockflow.predict.ports import ForecastReader
    from stockflow.signals.ports import SignalReader
    from stockflow.users.ports import Watchlists

    s = p.settings.intel
    find = p.ports.find
    facts = FactsAssembler(
        market=p.ports.get(QuoteReader), clock=p.clock, settings=s,
        technical=find(IndicatorReader), analysis=find(RatioReader),
        valuation=find(ValuationReader), news=find(NewsReader), predict=find(ForecastReader),
        signals=find(SignalReader))
    writer = _writer(s)
    breaker = CircuitBreaker("intel-llm", failure_threshold=s.breaker_failures,
                             reset_timeout=s.breaker_reset_seconds, clock=p.clock)
    intel = IntelService(facts, writer=writer, breaker=breaker, cache=p.cache, bus=p.bus,
                         clock=p.clock, metrics=IntelMetrics(p.metrics.registry), settings=s)
    briefs = tasks.WatchlistBriefs(intel, find(Deliveries), find(Watchlists), SqlDeliveryLog(p.db),
                                   p.clock, s.watchlist_max_tickers)

    async def health() -> tuple[str, Any]:
        state = intel.status()
        err = state.get("last_error")
        paused = state.get("breaker") and state["breaker"]["state"] != "closed"
        return (DEGRADED if paused or (err and err["operator"]) else OK), state

    parts = ContextParts("intel", ports={IntelService: intel, tasks.WatchlistBriefs: briefs},
                         jobs=tasks.jobs(briefs), health={"intel": health},
                         on_stop=[writer.close] if writer is not None else [])
    if plan.serves(SERVICE):
        from stockflow.intel import api

        parts.routers.append(api.router)
        parts.admin_routers.append(api.admin_router)
        parts.guards += api.GUARDS
    return parts


def _seed_key(settings: Any) -> None:
    if settings.intel.api_key is None and settings.openai_api_key is not None:
        settings.intel.api_key = settings.openai_api_key


MODULE = ContextModule(
    name="intel",
    build=build,
    settings={"intel": IntelSettings, "openai_api_key": (OpenAIKey, lambda: None)},
    services=(SERVICE,),
    tables="stockflow.intel.tables",
    migrations="stockflow.intel.migrations",
    enabled=lambda settings: settings.intel.enabled,
    resolve=_seed_key,
)
