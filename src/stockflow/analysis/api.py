"""Financials routes (seed 002 §4): statements, ratios, growth and valuation of one company.

Who may call them is declared below: `/v1/financials` needs read:financials, which every tier
holds. The free tier's answer is limited inside the routes (the latest annual statement and
the fixed short ratio list); growth, valuation and everything else need read:financials:full
(pro and enterprise). The ticker is resolved before the tier is read, so an unknown ticker is
a 404 for everyone. Technical indicators and comparison are in technical_api.py.
"""

from __future__ import annotations

import difflib
import math
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from stockflow.analysis import schemas
from stockflow.analysis.domain import PeriodType, Version
from stockflow.analysis.errors import ImpossibleInput
from stockflow.analysis.metrics_cache import CachedRatios
from stockflow.analysis.ratios.compute import BY_NAME, FREE
from stockflow.analysis.service import AnalysisService
from stockflow.analysis.valuation.assumptions import OVERRIDABLE
from stockflow.analysis.valuation_service import DDM_KEYS, ValuationService
from stockflow.core.envelope import json_response, raw_json_response
from stockflow.core.permissions import READ_FINANCIALS, READ_FINANCIALS_FULL, READ_QUOTES, Guard
from stockflow.core.principal import principal_of
from stockflow.core.problems import forbidden, invalid
from stockflow.core.web import provide

router = APIRouter(prefix="/v1/financials", tags=["financials"])
# Technical indicators and comparison read prices and public ratios: quote access, as the
# seed's RBAC table gives every tier (technical_api.py holds those routes).
GUARDS = [Guard("/v1/financials", READ_FINANCIALS), Guard("/v1/technical", READ_QUOTES),
          Guard("/v1/compare", READ_QUOTES)]
PROBLEM = {"content": {"application/problem+json": {}}}
ERRORS = {403: {"description": "The tier does not include this answer", **PROBLEM},
          404: {"description": "Unknown ticker, or an instrument without fundamentals",
                **PROBLEM},
          422: {"description": "Invalid or impossible parameters", **PROBLEM}}
FREE_TIER = ("the free tier gets the latest annual statement and the short ratio list "
             f"({', '.join(FREE)}); pro and enterprise ({READ_FINANCIALS_FULL}) get the rest")

Analysis = Annotated[AnalysisService, Depends(provide(AnalysisService))]
Valuation = Annotated[ValuationService, Depends(provide(ValuationService))]
Ratios = Annotated[CachedRatios, Depends(provide(CachedRatios))]
Ticker = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9.\-/^=]+$",
                             examples=["AAPL"])]
As = Annotated[Version, Query(alias="as", description="reported: as first reported; "
                              "restated: the latest restated figures")]


def full_access(request: Request) -> bool:
    """Without a principal (an app built without the auth edge) nothing restricts."""
    principal = principal_of(request)
    return principal is None or principal.can(READ_FINANCIALS_FULL)


def require_full(request: Request, what: str) -> None:
    if not full_access(request):
        raise forbidden(f"{what} needs {READ_FINANCIALS_FULL}: {FREE_TIER}")


def ratio_names(raw: str | None) -> list[str] | None:
    if raw is None or not raw.strip():
        return None
    names = list(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise invalid(f"unknown ratios: {', '.join(unknown)}", [
            {"loc": ["query", "names"], "msg": f"unknown ratio {n!r}", "input": n,
             "suggestions": difflib.get_close_matches(n, list(BY_NAME), n=5, cutoff=0.6)}
            for n in unknown])
    return names


@router.get("/{ticker}", response_model=schemas.StatementsPage, responses=ERRORS,
            summary="Income statement, balance sheet and cash flow per period")
async def statements(
    request: Request, svc: Analysis, ticker: Ticker,
    period: PeriodType = PeriodType.ANNUAL,
    limit: Annotated[int, Query(ge=1, le=100)] = 8,
    cursor: Annotated[date | None, Query(description="next_cursor of the previous page")] = None,
    version: As = Version.RESTATED,
) -> Response:
    inst = await svc.instrument(ticker)
    limited = not full_access(request)
    if limited and (period is not PeriodType.ANNUAL or cursor is not None):
        raise forbidden(f"{period.value} statements and older pages need "
                        f"{READ_FINANCIALS_FULL}: {FREE_TIER}")
    limit = 1 if limited else limit
    found = await svc.statements(inst.ticker, period, version, limit, cursor)
    page = schemas.statements_page(inst.ticker, version, found, limit)
    if limited:
        page.next_cursor = None
    return json_response(page.model_dump(mode="json"), **({"limited": FREE_TIER} if limited
                                                          else {}))


@router.get("/{ticker}/ratios", response_model=schemas.RatiosOut, responses=ERRORS,
            summary="Ratios with their formula and the inputs they read")
async def ratios(
    request: Request, svc: Analysis, cache: Ratios, ticker: Ticker,
    period: PeriodType = PeriodType.TTM,
    limit: Annotated[int, Query(ge=1, le=40, description="periods, newest first")] = 1,
    names: Annotated[str | None, Query(description="comma-separated ratio names")] = None,
    version: As = Version.RESTATED,
) -> Response:
    inst = await svc.instrument(ticker)
    chosen = ratio_names(names)
    if not full_access(request):
        beyond = [n for n in chosen or () if n not in FREE]
        if beyond or limit > 1:
            raise forbidden(f"{', '.join(beyond) or 'older periods'} need "
                            f"{READ_FINANCIALS_FULL}: {FREE_TIER}")
        chosen = chosen or list(FREE)
        body = await cache.json(inst.ticker, period, version, chosen, 1)
        return raw_json_response(body, limited=FREE_TIER)
    return raw_json_response(await cache.json(inst.ticker, period, version, chosen, limit))


@router.get("/{ticker}/growth", responses=ERRORS,
            summary="YoY and QoQ growth, 3- and 5-year CAGR")
async def growth(request: Request, svc: Analysis, ticker: Ticker,
                 version: As = Version.RESTATED) -> Response:
    inst = await svc.instrument(ticker)
    require_full(request, "growth")
    return json_response(schemas.growth_out(await svc.growth(inst.ticker, version)))


def overrides(request: Request) -> dict[str, float]:
    """Every assumption by name from the query; an unknown name or a non-number is a 422."""
    known = (*OVERRIDABLE, *DDM_KEYS)
    out: dict[str, float] = {}
    for key, raw in request.query_params.items():
        if key == "as":
            continue
        if key not in known:
            raise ImpossibleInput(key, f"not an assumption; overridable: {', '.join(known)}")
        try:
            value = float(raw)
        except ValueError:
            raise ImpossibleInput(key, f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise ImpossibleInput(key, "must be a finite number")
        out[key] = value
    return out


@router.get("/{ticker}/valuation", responses=ERRORS,
            summary="DCF with a WACC × g grid, peer multiples and dividend discount")
async def valuation(request: Request, svc: Analysis, values: Valuation, ticker: Ticker,
                    version: As = Version.RESTATED) -> Response:
    inst = await svc.instrument(ticker)
    require_full(request, "valuation")
    report = await values.valuation(inst.ticker, overrides(request), version)
    return json_response(schemas.valuation_out(report))
