"""Technical indicators (every TA-Lib function) and peer comparison routes. Both need
read:quotes (declared with the financials guards in api.py): they read stored prices and the
ratios every tier may see."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from stockflow.analysis import schemas
from stockflow.analysis.api import ERRORS, Ticker, full_access, require_full
from stockflow.analysis.compare import DEFAULT_METRICS, CompareService
from stockflow.analysis.ratios.compute import FREE
from stockflow.analysis.technical.catalogue import catalogue_schema
from stockflow.analysis.technical.params import build_request, parse_query
from stockflow.analysis.technical_service import MAX_BARS, TechnicalService
from stockflow.core.envelope import json_response
from stockflow.core.problems import invalid
from stockflow.core.web import provide
from stockflow.market.domain import Interval

technical = APIRouter(prefix="/v1/technical", tags=["technical"])
compare_router = APIRouter(prefix="/v1", tags=["compare"])
Technical = Annotated[TechnicalService, Depends(provide(TechnicalService))]
Compare = Annotated[CompareService, Depends(provide(CompareService))]


@technical.get("/indicators", summary="Every indicator TA-Lib has, as JSON Schema")
async def indicator_catalogue(group: str | None = None) -> Response:
    found = catalogue_schema(group)
    if group is not None and not found["indicators"]:
        raise invalid(f"unknown group {group!r}; groups: {', '.join(found['groups'])}",
                      [{"loc": ["query", "group"], "msg": "unknown group", "input": group}])
    return json_response(found)


@technical.get("/{ticker}/indicators", responses=ERRORS,
               summary="Indicators on the stored bars; parameters as `rsi.timeperiod=14`")
async def indicators(
    request: Request, svc: Technical, ticker: Ticker,
    names: Annotated[str, Query(alias="indicators", examples=["rsi,macd,bbands"])],
    interval: Interval = Interval.D1,
    start: Annotated[datetime | None, Query(description="ISO 8601; inclusive")] = None,
    end: Annotated[datetime | None, Query(description="ISO 8601; exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_BARS)] = 500,
) -> Response:
    # Validated before any I/O: an unknown indicator or a parameter out of range costs no read.
    requests = parse_query(names, request.query_params)
    series = await svc.indicators(ticker, requests, interval=interval, start=start, end=end,
                                  limit=limit)
    return json_response(schemas.indicators_out(series))


@technical.post("/indicators", responses=ERRORS,
                summary="N indicators for M tickers in one call")
async def batch_indicators(svc: Technical, body: schemas.BatchIndicatorsRequest) -> Response:
    requests = [build_request(spec.name, spec.params) for spec in body.indicators]
    try:
        interval = Interval(body.interval)
    except ValueError:
        raise invalid(f"interval must be one of {', '.join(i.value for i in Interval)}", [
            {"loc": ["body", "interval"], "msg": "unknown interval", "input": body.interval}],
        ) from None
    found = await svc.batch(body.tickers, requests, interval=interval, start=body.start,
                            end=body.end, limit=body.limit)
    return json_response({"results": {t: schemas.indicators_out(s)
                                      for t, s in found.results.items()},
                          "errors": found.errors})


@compare_router.post("/compare", responses=ERRORS,
                     summary="Up to 50 companies side by side, with sector medians and ranks")
async def compare(svc: Compare, body: schemas.CompareRequest, request: Request) -> Response:
    metrics = body.metrics or DEFAULT_METRICS
    if not full_access(request):
        # The free tier's financials are the short ratio list; returns and volatility are
        # market data, which every tier reads.
        beyond = [m for m in metrics
                  if m not in FREE and not m.startswith(("return_", "volatility_"))]
        if beyond:
            require_full(request, f"comparing {', '.join(beyond)}")
    found = await svc.compare(body.tickers, metrics)
    return json_response(schemas.comparison_out(found))
