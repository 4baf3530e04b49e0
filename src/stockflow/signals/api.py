"""Routes of the signal engine, with their permissions. The read routes are served under /v1
and, per seed 000's ingress (GET /api/* reaches the signal engine), under /api too.

Permissions: current signals and built-in backtests of one ticker read daily bars every tier
reads (read:quotes); user strategies, saved or posted, are research tools of the paid tiers
(read:predictions), and a saved strategy is its owner's only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.permissions import READ_PREDICTIONS, READ_QUOTES, Guard
from stockflow.core.principal import principal_of
from stockflow.core.problems import invalid, unauthorized
from stockflow.core.web import provide
from stockflow.signals import grammar, schemas
from stockflow.signals.document import StrategyDocument
from stockflow.signals.service import SignalService

v1 = APIRouter(prefix="/v1/signals", tags=["signals"])
mirror = APIRouter(prefix="/api/signals", tags=["signals"])
saved = APIRouter(prefix="/v1/strategies", tags=["signals"])
GUARDS = [Guard("/v1/signals", READ_QUOTES), Guard("/api/signals", READ_QUOTES),
          Guard("/v1/signals/backtest", READ_PREDICTIONS),
          Guard("/v1/strategies", READ_PREDICTIONS)]
Signals = Annotated[SignalService, Depends(provide(SignalService))]
Ticker = Annotated[str, Path(min_length=1, max_length=32)]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown ticker or strategy (problem+json)"},
    422: {"description": "Invalid input, or a strategy that failed a look-ahead check"}}


def owner(request: Request) -> str:
    principal = principal_of(request)
    if principal is None or principal.anonymous:
        raise unauthorized("sign in: saved strategies belong to an account", error="")
    return principal.subject


def wire(doc: StrategyDocument) -> dict[str, Any]:
    """The document as its author wrote it (members left out stay out)."""
    return doc.model_dump(mode="json", by_alias=True, exclude_unset=True)


def caller(request: Request) -> str | None:
    principal = principal_of(request)
    return None if principal is None or principal.anonymous else principal.subject


async def current(svc: Signals, ticker: Ticker) -> Response:
    return json_response(await svc.current(ticker))


async def ticker_backtest(
    request: Request, svc: Signals, ticker: Ticker,
    strategy: Annotated[str, Query(description="a built-in strategy, or a saved one's id")]
    = "ensemble",
    start: Annotated[datetime | None, Query(description="ISO 8601; default 5 years")] = None,
    end: Annotated[datetime | None, Query(description="ISO 8601; default now")] = None,
    commission_bps: Annotated[float | None, Query(ge=0, le=500)] = None,
    slippage_bps: Annotated[float | None, Query(ge=0, le=500)] = None,
) -> Response:
    plan = await svc.plan_named(strategy, caller(request))
    return json_response(await svc.backtest(plan, [ticker], start, end,
                                            commission_bps=commission_bps,
                                            slippage_bps=slippage_bps))


for router in (v1, mirror):
    router.add_api_route("/{ticker}", current, methods=["GET"], responses=ERRORS,
                         response_model=schemas.CurrentEnvelope,
                         summary="Current signal of every built-in strategy and the ensemble")
    router.add_api_route("/{ticker}/backtest", ticker_backtest, methods=["GET"],
                         responses=ERRORS, response_model=schemas.BacktestEnvelope,
                         summary="Backtest a built-in or saved strategy on one ticker")


@v1.post("/backtest", responses=ERRORS, response_model=schemas.BacktestEnvelope,
         summary="Backtest a user strategy on one ticker or many")
async def backtest(request: Request, svc: Signals, body: schemas.BacktestRequest) -> Response:
    if (body.strategy is None) == (body.strategy_id is None):
        raise invalid("give either strategy (a document) or strategy_id",
                      [{"loc": ["body", "strategy"], "msg": "one of strategy, strategy_id"}])
    plan = (svc.user(wire(body.strategy), "user:posted") if body.strategy is not None
            else await svc.plan_named(body.strategy_id or "", owner(request)))
    return json_response(await svc.backtest(
        plan, body.tickers, body.start, body.end, weighting=body.weighting,
        commission_bps=body.commission_bps, slippage_bps=body.slippage_bps))


@saved.get("/schema", summary="The JSON Schema of a user strategy document")
async def strategy_schema() -> Response:
    return json_response(grammar.schema())


@saved.post("", status_code=201, responses=ERRORS, response_model=schemas.StrategyEnvelope,
            summary="Save a user strategy (validated against its JSON Schema)")
async def create(request: Request, svc: Signals, doc: StrategyDocument) -> Response:
    return json_response(await svc.save(owner(request), wire(doc)), status=201)


@saved.get("", response_model=schemas.StrategiesEnvelope, summary="Your saved strategies")
async def listing(request: Request, svc: Signals) -> Response:
    return json_response(await svc.strategies(owner(request)))


@saved.get("/{strategy_id}", responses=ERRORS, response_model=schemas.StrategyEnvelope,
           summary="One of your saved strategies")
async def one(request: Request, svc: Signals, strategy_id: str) -> Response:
    return json_response(await svc.strategy(owner(request), strategy_id))


@saved.delete("/{strategy_id}", status_code=204, responses=ERRORS,
              summary="Delete one of your saved strategies")
async def delete(request: Request, svc: Signals, strategy_id: str) -> Response:
    await svc.delete(owner(request), strategy_id)
    return Response(status_code=204)
