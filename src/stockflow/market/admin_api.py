"""Admin view of the market's data providers (mounted under /api/admin behind X-API-Key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.web import provide
from stockflow.market.providers import MarketSources

router = APIRouter(tags=["admin"])


@router.get("/providers", summary="Every provider: breaker, recent failures, calls and cost")
async def providers(
        sources: Annotated[MarketSources, Depends(provide(MarketSources))]) -> Response:
    rows = sources.health()
    return json_response(rows, live=sources.live, chains=sources.chain_names,
                         simulated=sources.simulated_classes,
                         estimated_cost=round(sum(r.get("estimated_cost", 0.0) for r in rows), 6))
