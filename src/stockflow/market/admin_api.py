"""Admin view of the market's data providers (mounted under /api/admin behind X-API-Key)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from stockflow.core.envelope import json_response

router = APIRouter(tags=["admin"])


@router.get("/providers", summary="Every provider: breaker, recent failures, calls and cost")
async def providers(request: Request) -> Response:
    container = request.app.state.container
    sources = container.sources
    rows = sources.health()
    return json_response(rows, live=sources.live,
                         chains=container.settings.failover.chains,
                         simulated=sources.simulated_classes,
                         estimated_cost=round(sum(r.get("estimated_cost", 0.0) for r in rows), 6))
