"""Market data routes (seed 002 §2): parse, call the service, shape the response."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from stockflow.core.envelope import json_response, raw_json_response
from stockflow.market import schemas
from stockflow.market.domain import Interval
from stockflow.market.service import MAX_BATCH, MarketDataService

router = APIRouter(prefix="/v1", tags=["market"])

PROBLEM = {"content": {"application/problem+json": {}}}
ERRORS = {404: {"description": "Unknown ticker", **PROBLEM},
          422: {"description": "Invalid parameters", **PROBLEM}}


def market(request: Request) -> MarketDataService:
    return request.app.state.container.market


Market = Annotated[MarketDataService, Depends(market)]
Ticker = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9.\-/^=]+$",
                             examples=["NVDA"])]


@router.get("/quotes/{ticker}", response_model=schemas.QuoteEnvelope, responses=ERRORS,
            summary="Latest quote for one ticker")
async def get_quote(ticker: Ticker, svc: Market) -> Response:
    return raw_json_response(await svc.quote_json(ticker))


@router.get("/quotes", response_model=schemas.QuotesEnvelope, responses=ERRORS,
            summary=f"Latest quotes for up to {MAX_BATCH} tickers")
async def get_quotes(
    svc: Market,
    tickers: Annotated[str, Query(min_length=1, description="Comma-separated, e.g. NVDA,MSFT")],
) -> Response:
    return raw_json_response(await svc.quotes_json(tickers))


@router.get("/historical/{ticker}", response_model=schemas.HistoryEnvelope, responses=ERRORS,
            summary="OHLCV bars, oldest first, with cursor pagination")
async def get_historical(
    ticker: Ticker,
    svc: Market,
    interval: Interval = Interval.D1,
    start: Annotated[datetime | None, Query(description="ISO 8601; inclusive")] = None,
    end: Annotated[datetime | None, Query(description="ISO 8601; exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    data, meta = await svc.history(ticker, interval, start, end, limit, cursor)
    return json_response(data, **meta)


@router.get("/market-status", response_model=schemas.MarketStatusEnvelope,
            summary="Open, closed, pre or post market per exchange, with next open and close")
async def get_market_status(svc: Market) -> Response:
    return json_response(svc.market_status())


@router.get("/companies", response_model=schemas.CompaniesEnvelope, responses=ERRORS,
            summary="The instrument universe")
async def get_companies(
    svc: Market,
    sector: str | None = None,
    exchange: str | None = None,
    asset_class: str | None = None,
    sort: Annotated[str, Query(pattern=r"^-?[a-z_]+$")] = "ticker",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    data, meta = svc.companies(sector=sector, exchange=exchange, asset_class=asset_class,
                               sort=sort, limit=limit, cursor=cursor)
    return json_response(data, **meta)
