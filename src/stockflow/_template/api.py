"""Routes only: parse, call the service, shape the answer; permissions declared beside them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from stockflow._template import schemas
from stockflow._template.service import TallyService
from stockflow.core.envelope import json_response
from stockflow.core.permissions import READ_QUOTES, Guard
from stockflow.core.web import provide

router = APIRouter(prefix="/v1/template", tags=["template"])
admin_router = APIRouter(prefix="/template")
GUARDS = [Guard("/v1/template", READ_QUOTES)]
Tallies = Annotated[TallyService, Depends(provide(TallyService))]


@router.get("/tallies", response_model=schemas.TalliesEnvelope,
            summary="Tickers by how many quote updates they had")
async def tallies(svc: Tallies, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> Response:
    return json_response([t.to_wire() for t in await svc.top(limit)])


@admin_router.get("", summary="The template context's state, for operators")
async def admin_state(svc: Tallies) -> Response:
    return json_response({"tickers": len(await svc.top(100))})
