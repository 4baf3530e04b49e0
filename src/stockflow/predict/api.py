"""Routes only: parse, call PredictService, shape the answer. Every path needs read:predictions
(pro and enterprise tiers); what the guards below do not declare is refused by the edge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.permissions import READ_PREDICTIONS, Guard
from stockflow.core.principal import principal_of
from stockflow.core.problems import invalid, unauthorized
from stockflow.core.web import provide
from stockflow.predict import schemas
from stockflow.predict.forecast import MAX_DAYS
from stockflow.predict.service import PredictService

predict_router = APIRouter(prefix="/v1/predict", tags=["predict"])
analyze_router = APIRouter(prefix="/v1/analyze", tags=["analyze"])
ROUTERS = (predict_router, analyze_router)
GUARDS = [Guard("/v1/predict", READ_PREDICTIONS), Guard("/v1/analyze", READ_PREDICTIONS)]
Predict = Annotated[PredictService, Depends(provide(PredictService))]


@predict_router.get("/price/{ticker}", response_model=schemas.PriceEnvelope,
                    summary="Price forecast 1-7 days with intervals and its own backtest")
async def price(ticker: str, svc: Predict,
                days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = MAX_DAYS) -> Response:
    return json_response(await svc.price(ticker.upper(), days))


@predict_router.get("/volatility/{ticker}", response_model=schemas.VolatilityEnvelope,
                    summary="GARCH(1,1)-t, EGARCH and EWMA volatility 1-30 days")
async def volatility(ticker: str, svc: Predict) -> Response:
    return json_response(await svc.volatility(ticker.upper()))


@analyze_router.get("/correlation", summary="Correlation matrix over aligned returns")
async def correlation(svc: Predict, tickers: Annotated[str, Query(min_length=1)],
                      window: Annotated[int | None, Query(ge=20, le=2000)] = None,
                      method: Annotated[str, Query(pattern="^(pearson|spearman)$")] = "pearson",
                      rolling_step: Annotated[int | None, Query(ge=1)] = None) -> Response:
    try:
        query = schemas.CorrelationQuery(tickers=tickers.split(","), method=method,
                                         window=window, rolling_step=rolling_step)
    except ValidationError as e:        # built here from the comma list, so not by FastAPI
        raise invalid("; ".join(err["msg"] for err in e.errors()),
                      [{"field": ".".join(map(str, err["loc"])), "message": err["msg"]}
                       for err in e.errors()]) from None
    return json_response(await svc.correlation(query.tickers, query.method, query.window,
                                               query.rolling_step))


@analyze_router.get("/risk/{ticker}", response_model=schemas.RiskEnvelope,
                    summary="VaR and ES by four methods with their backtests, drawdown, beta")
async def risk(ticker: str, svc: Predict, benchmark: str | None = None) -> Response:
    return json_response(await svc.risk(ticker.upper(), benchmark.upper() if benchmark
                                        else None))


@analyze_router.post("/portfolio", summary="Portfolio figures, risk contributions, optimisation")
async def portfolio(body: schemas.PortfolioRequest, request: Request, svc: Predict) -> Response:
    weights = body.weights
    if body.portfolio_id is not None:
        principal = principal_of(request)
        if principal is None or principal.anonymous:
            raise unauthorized("a stored portfolio needs a signed-in owner")
        weights = await svc.portfolio_weights(principal.subject, body.portfolio_id)
    assert weights is not None           # the request model demands one of the two
    weights = {t.upper(): w for t, w in weights.items()}
    out = await svc.portfolio(weights, long_only=body.long_only, risk_free=body.risk_free,
                              benchmark=body.benchmark.upper() if body.benchmark else None)
    if body.portfolio_id is not None:
        out["portfolio"] = {"id": body.portfolio_id,
                            "weights_from": "market value of the open positions at the last "
                                            "close"}
    if body.optimise is not None or body.frontier_points:
        if len(weights) < 2:
            raise invalid("optimisation needs at least two tickers")
        out["optimised"] = await svc.optimise(
            list(weights), body.optimise or "min_variance", long_only=body.long_only,
            max_weight=body.max_weight, risk_free=body.risk_free,
            frontier_points=body.frontier_points)
    return json_response(out)


@analyze_router.get("/anomalies/{ticker}", summary="Unusual bars: Isolation Forest and z-scores")
async def anomalies(ticker: str, svc: Predict) -> Response:
    return json_response(await svc.anomalies(ticker.upper()))
