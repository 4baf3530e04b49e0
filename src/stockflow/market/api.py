"""Market data routes (seed 002 §2): parse, call the service, shape the response.

The two quote routes are also served by the edge's fast path (entrypoints/fastpath.py); both
paths build their 200 body with the same function, `quote_body` or `quotes_body`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from stockflow.core.envelope import (
    JSON_CONTENT_TYPE,
    envelope_bytes,
    json_response,
    raw_json_response,
)
from stockflow.core.fastroute import FastRoute
from stockflow.core.module import Ports
from stockflow.core.permissions import READ_QUOTES, READ_QUOTES_REALTIME, Guard
from stockflow.core.principal import principal_of
from stockflow.core.web import provide
from stockflow.market import schemas
from stockflow.market.domain import Interval
from stockflow.market.rates import CryptoRates
from stockflow.market.service import MAX_BATCH, MarketDataService

router = APIRouter(prefix="/v1", tags=["market"])
# Who may call these routes, declared beside them; the edge refuses what nobody declares.
GUARDS = [Guard(prefix, READ_QUOTES) for prefix in (
    "/v1/quotes", "/v1/historical", "/v1/crypto", "/v1/market-status", "/v1/companies")]

PROBLEM = {"content": {"application/problem+json": {}}}
ERRORS = {404: {"description": "Unknown ticker", **PROBLEM},
          422: {"description": "Invalid parameters", **PROBLEM}}
TICKER_MAX_LENGTH = 20
TICKER_CHARS = r"[A-Za-z0-9.\-/^=]+"
_TICKER = re.compile(TICKER_CHARS)
_ESCAPES = re.compile(rb"[&;%+]")  # what parse_qsl splits on or unquotes


Market = Annotated[MarketDataService, Depends(provide(MarketDataService))]
Rates = Annotated[CryptoRates, Depends(provide(CryptoRates))]
Ticker = Annotated[str, Path(min_length=1, max_length=TICKER_MAX_LENGTH,
                             pattern=f"^{TICKER_CHARS}$", examples=["NVDA"])]


async def quote_body(svc: MarketDataService, ticker: str) -> bytes:
    data, meta = await svc.quote_json(ticker)
    return envelope_bytes(data, **meta)


async def quotes_body(svc: MarketDataService, tickers: str) -> bytes:
    data, meta = await svc.quotes_json(tickers)
    return envelope_bytes(data, **meta)


def realtime(scope: Any) -> bool:
    """Whether the caller may see live prices. The auth edge always leaves a principal on /v1;
    without one (an app built without the edge) nothing is known to restrict."""
    principal = principal_of(scope)
    return principal is None or principal.can(READ_QUOTES_REALTIME)


def _delayed_response(data: bytes, at: datetime, delay: int) -> Response:
    return raw_json_response(data, delayed=True, delay_seconds=delay, as_of=at.isoformat())


@router.get("/quotes/{ticker}", response_model=schemas.QuoteEnvelope, responses=ERRORS,
            summary="Latest quote for one ticker (15 minutes old on the free tier)")
async def get_quote(ticker: Ticker, svc: Market, request: Request) -> Response:
    if realtime(request):
        return Response(await quote_body(svc, ticker), media_type=JSON_CONTENT_TYPE)
    delay = svc.free_delay
    return _delayed_response(*await svc.delayed_quote_json(ticker, delay), delay)


@router.get("/quotes", response_model=schemas.QuotesEnvelope, responses=ERRORS,
            summary=f"Latest quotes for up to {MAX_BATCH} tickers (delayed on the free tier)")
async def get_quotes(
    svc: Market,
    request: Request,
    tickers: Annotated[str, Query(min_length=1, description="Comma-separated, e.g. NVDA,MSFT")],
) -> Response:
    if realtime(request):
        return Response(await quotes_body(svc, tickers), media_type=JSON_CONTENT_TYPE)
    delay = svc.free_delay
    return _delayed_response(*await svc.delayed_quotes_json(tickers, delay), delay)


# -- the fast path ------------------------------------------------------------------------
# Each answer accepts only input the FastAPI route would accept and returns None for the rest,
# which the FastAPI route then refuses with its 422. A problem the service raises (unknown
# ticker, too many tickers, providers down) is rendered by the fast path with the same renderer
# FastAPI's handler uses; any other exception goes on to the FastAPI route and its 500.

async def _fast_quote(ports: Ports, ticker: str, query: bytes) -> bytes | None:
    if len(ticker) > TICKER_MAX_LENGTH or _TICKER.fullmatch(ticker) is None:
        return None
    return await quote_body(ports.get(MarketDataService), ticker)


async def _fast_quotes(ports: Ports, _: str, query: bytes) -> bytes | None:
    tickers = _last_query_value(query, "tickers")
    if not tickers:
        return None
    return await quotes_body(ports.get(MarketDataService), tickers)


def _last_query_value(query: bytes, name: str) -> str | None:
    """What FastAPI reads for a scalar query parameter: Starlette's QueryParams decoding
    (latin-1, then parse_qsl keeping blanks), last value wins."""
    prefix = name.encode("latin-1") + b"="
    if query.startswith(prefix) and not _ESCAPES.search(query):
        # The usual batch query, one parameter and nothing escaped: parse_qsl would return
        # the rest as it is (tests/unit/market/test_query_value.py checks it does), at a tenth
        # of its cost.
        return query[len(prefix):].decode("latin-1")
    value = None
    for key, item in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key == name:
            value = item
    return value


# Delayed (free-tier) callers take the FastAPI route: at 100 requests a minute, speed is moot.
FAST_ROUTES = [
    FastRoute("/v1/quotes/{ticker}", _fast_quote, admits=realtime),
    FastRoute("/v1/quotes", _fast_quotes, admits=realtime),
]


@router.get("/historical/{ticker}", response_model=schemas.HistoryEnvelope, responses=ERRORS,
            summary="OHLCV bars, oldest first, with cursor pagination")
async def get_historical(
    ticker: Ticker,
    svc: Market,
    request: Request,
    interval: Interval = Interval.D1,
    start: Annotated[datetime | None, Query(description="ISO 8601; inclusive")] = None,
    end: Annotated[datetime | None, Query(description="ISO 8601; exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    delay = 0 if realtime(request) else svc.free_delay
    data, meta = await svc.history(ticker, interval, start, end, limit, cursor, delay)
    if delay:
        meta = {**meta, "delayed": True, "delay_seconds": delay}
    return json_response(data, **meta)


@router.get("/crypto/rates", response_model=schemas.RatesEnvelope, responses={
    **ERRORS, 503: {"description": "Every source failed and no rate is recent enough", **PROBLEM}},
    summary="Crypto exchange rates by CoinGecko coin id (HeyCard; delayed on the free tier)")
async def get_crypto_rates(
    rates: Rates,
    svc: Market,
    request: Request,
    ids: Annotated[str, Query(min_length=1, max_length=2000,
                              description="Coin ids, e.g. bitcoin,ethereum")],
    vs: Annotated[str, Query(min_length=1, max_length=200,
                             description="Quote currencies, e.g. usd,eur")] = "usd",
) -> Response:
    if not realtime(request):
        # Rates are prices: the free tier sees them as delayed as its quotes.
        delay = svc.free_delay
        data, at = await rates.delayed_rates(ids, vs, delay)
        return json_response(data, delayed=True, delay_seconds=delay, as_of=at.isoformat())
    data, meta = await rates.rates(ids, vs)
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
