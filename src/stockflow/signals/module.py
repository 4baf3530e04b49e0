"""The signal engine's declaration (seed 000's Signal Engine): settings, build, routers with
their guards (under /v1 and the /api mirror), the pre-market scan jobs, the `signals` worker
and its handlers, tables and migrations."""

from __future__ import annotations

from typing import Any

from stockflow.core.health import OK
from stockflow.core.module import ContextModule, ContextParts, Plan, Platform, Worker
from stockflow.signals.config import SignalsSettings

SERVICE = "signals"
WORKER = "signals"


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.market.ports import MarketReader
    from stockflow.signals import handlers, tasks
    from stockflow.signals.live import LiveSignals
    from stockflow.signals.ports import SignalReader
    from stockflow.signals.repository import (
        SqlSentimentStore,
        SqlSignalState,
        SqlStrategyStore,
    )
    from stockflow.signals.service import SignalService
    from stockflow.users.ports import Watchlists

    s: SignalsSettings = p.settings.signals
    market = p.ports.get(MarketReader)
    news = SqlSentimentStore(p.db)
    signals = SignalService(market, news, SqlStrategyStore(p.db), s, p.clock)
    live = LiveSignals(signals, SqlSignalState(p.db), p.bus, p.clock)

    async def health() -> tuple[str, Any]:
        return OK, {"intervals": s.intervals, "bars_handled": live.handled,
                    "announced": live.announced}

    parts = ContextParts(
        "signals", ports={SignalService: signals, SignalReader: signals, LiveSignals: live},
        jobs=tasks.jobs(live, p.ports.find(Watchlists), market, s),
        health={"signals": health},
        workers={WORKER: lambda: Worker(WORKER, handlers=handlers.handlers(live, news),
                                        unit=live)})
    if plan.serves(SERVICE):
        from stockflow.signals import api  # a worker process never imports the web framework

        parts.routers += [api.v1, api.mirror, api.saved]
        parts.guards += api.GUARDS
    return parts


MODULE = ContextModule(
    name="signals",
    build=build,
    settings={"signals": SignalsSettings},
    services=(SERVICE,),
    workers=(WORKER,),
    tables="stockflow.signals.tables",
    migrations="stockflow.signals.migrations",
    enabled=lambda settings: settings.signals.enabled,
)
