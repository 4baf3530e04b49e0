"""Routes only. Briefs read forecasts, risk and full news, so they need read:predictions (the
pro and enterprise tiers, as /v1/predict does); a free caller gets 403. The admin route shows
operators whether a model is used, its breaker and its last failure (key, quota, ...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.permissions import READ_PREDICTIONS, Guard
from stockflow.core.web import provide
from stockflow.intel import schemas
from stockflow.intel.domain import Brief, FactsBundle
from stockflow.intel.service import IntelService

router = APIRouter(prefix="/v1/intel", tags=["intel"])
admin_router = APIRouter(prefix="/intel")
GUARDS = [Guard("/v1/intel", READ_PREDICTIONS)]
Intel = Annotated[IntelService, Depends(provide(IntelService))]


def _answer(found: tuple[Brief, FactsBundle, bool]) -> Response:
    brief, bundle, cached = found
    return json_response({**brief.to_wire(), "cached": cached,
                          "facts": [f.to_wire() for f in bundle.facts],
                          "missing": list(bundle.missing)})


# Declared before /{ticker}: "market" is the market-wide brief, not a ticker.
@router.get("/market", response_model=schemas.BriefEnvelope,
            summary="A market-wide brief from the leaders' quotes, sessions and news")
async def market(svc: Intel) -> Response:
    return _answer(await svc.market_brief())


@router.get("/{ticker}", response_model=schemas.BriefEnvelope,
            summary="A brief on one ticker; every number is one of the cited facts")
async def ticker(ticker: str, svc: Intel) -> Response:
    return _answer(await svc.brief(ticker))


@admin_router.get("", summary="The intel context's model, breaker and last model failure")
async def admin_state(svc: Intel) -> Response:
    return json_response(svc.status())
