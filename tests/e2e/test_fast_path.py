"""The quote fast path against the FastAPI routes it mirrors: same bodies, headers and errors,
and the same edge bookkeeping (request id, metrics, access line)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi import FastAPI

from stockflow.core.logging import configure_logging
from stockflow.entrypoints.fastpath import FastPath, FastRoute
from stockflow.entrypoints.http import EdgeApp, create_app
from stockflow.market.service import MarketDataService

pytestmark = pytest.mark.asyncio(loop_scope="session")

URLS = [
    "/v1/quotes/NVDA",
    "/v1/quotes/nvda",
    "/v1/quotes/btc-usd",
    "/v1/quotes/NVDA?ignored=1",
    "/v1/quotes?tickers=AAPL,RELIANCE,ETH-USD,SPY",
    "/v1/quotes?tickers=aapl,%20msft%20,AAPL,btc/usd",
    "/v1/quotes?tickers=NVDA&tickers=MSFT",
    # errors: problems the service raises are rendered by the fast path, the rest by FastAPI
    "/v1/quotes/NOPE",
    "/v1/quotes/" + "X" * 30,
    "/v1/quotes/NV%20DA",
    "/v1/quotes/NV%0A",
    "/v1/quotes/%C3%A9",
    "/v1/quotes",
    "/v1/quotes?tickers=",
    "/v1/quotes?tickers=,,",
    "/v1/quotes?tickers=NVDA,ZZZZ,QQQQ",
    "/v1/quotes?tickers=" + ",".join(f"T{i}" for i in range(51)),
]


class Fallback:
    """Stands between the fast path and FastAPI, recording what reached FastAPI."""

    def __init__(self, app) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def apps(market_app) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Fallback]]:
    container, _ = market_app
    container.settings.http.fast_path = False
    try:
        slow_app = create_app(container, manage_lifecycle=False)
    finally:
        container.settings.http.fast_path = True
    fast_app = create_app(container, manage_lifecycle=False)
    fast_path = _fast_path_of(fast_app)
    fallback = fast_path.app = Fallback(fast_path.app)
    transport = httpx.ASGITransport(app=fast_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as fast, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=slow_app),
                              base_url="http://test") as slow:
        yield fast, slow, fallback


def _fast_path_of(app: EdgeApp) -> FastPath:
    app.edge_stack = app.build_edge_stack()
    layer = app.edge_stack
    while not isinstance(layer, FastPath):
        layer = layer.app
    return layer


def _comparable(resp: httpx.Response) -> tuple:
    body = resp.json()
    if "meta" in body:
        assert body["meta"].pop("timestamp")
    # The request id and the rate-limit countdown differ per request by design.
    headers = {k: v for k, v in resp.headers.items() if k not in ("x-request-id", "ratelimit")}
    return resp.status_code, headers, body


@pytest.mark.parametrize("url", URLS)
async def test_fast_path_answers_like_the_fastapi_route(apps, url):
    fast, slow, _ = apps
    fast_resp, slow_resp = await fast.get(url), await slow.get(url)
    assert _comparable(fast_resp) == _comparable(slow_resp)
    assert len(fast_resp.headers["x-request-id"]) == 32


async def test_fast_path_renders_service_problems_and_hands_the_rest_to_fastapi(apps):
    fast, _, fallback = apps
    fallback.paths.clear()
    assert (await fast.get("/v1/quotes/NVDA")).status_code == 200
    assert (await fast.get("/v1/quotes", params={"tickers": "NVDA,MSFT"})).status_code == 200
    assert fallback.paths == []
    assert (await fast.get("/v1/quotes/NOPE")).status_code == 404
    assert (await fast.get("/v1/quotes", params={"tickers": "NVDA,NOPE"})).status_code == 404
    assert (await fast.get("/v1/quotes/" + "X" * 30)).status_code == 422
    assert (await fast.get("/v1/historical/NVDA", params={"limit": 1})).status_code == 200
    # The unknown tickers are the service's 404 problems, rendered where they were raised;
    # a ticker too long for the route's pattern is FastAPI's 422, and other routes are FastAPI's.
    assert fallback.paths == ["/v1/quotes/" + "X" * 30, "/v1/historical/NVDA"]
    assert (await fast.post("/v1/quotes/NVDA")).status_code == 405  # GET only


async def test_an_unexpected_failure_is_fastapis_500_problem(market_app, monkeypatch):
    container, _ = market_app

    async def broken(raw_ticker: str) -> bytes:
        raise RuntimeError("cache exploded")

    monkeypatch.setattr(container.port(MarketDataService), "quote_json", broken)
    app = create_app(container, manage_lifecycle=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        resp = await client.get("/v1/quotes/NVDA")
    assert resp.status_code == 500
    assert resp.headers["content-type"] == "application/problem+json"
    assert "exploded" not in resp.text and "Traceback" not in resp.text
    assert resp.headers["x-request-id"]


async def test_fast_path_requests_are_counted_per_route_template(apps, market_app):
    container, _ = market_app
    fast, _, _ = apps
    http = container.metrics.http
    before = http.count("GET", "/v1/quotes/{ticker}", 200), http.count("GET", "/v1/quotes", 200)
    await fast.get("/v1/quotes/NVDA")
    await fast.get("/v1/quotes", params={"tickers": "NVDA"})
    assert http.count("GET", "/v1/quotes/{ticker}", 200) == before[0] + 1
    assert http.count("GET", "/v1/quotes", 200) == before[1] + 1
    text = container.metrics.render().decode()
    assert 'stockflow_http_request_duration_seconds_count{method="GET",route="/v1/quotes"}' in text


async def test_fast_path_writes_one_access_line_per_request(market_app):
    container, _ = market_app
    out = io.StringIO()
    configure_logging("INFO", json_logs=True, stream=out)
    try:
        app = create_app(container, manage_lifecycle=False)  # picks up the new log config
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            ok = await client.get("/v1/quotes/NVDA", headers={"x-request-id": "fast-1"})
            await client.get("/v1/quotes", params={"tickers": "NVDA,MSFT"})
            await client.get("/v1/quotes/NOPE")
        await asyncio.sleep(0)  # lines are written at the next loop iteration
    finally:
        configure_logging("WARNING")
    assert ok.headers["x-request-id"] == "fast-1"
    # Library loggers (httpx) write plain lines to the same stream.
    lines = [orjson.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    access = [(a["route"], a["path"], a["status"]) for a in lines if a["event"] == "request"]
    assert access == [("/v1/quotes/{ticker}", "/v1/quotes/NVDA", 200),
                      ("/v1/quotes", "/v1/quotes", 200),
                      ("/v1/quotes/{ticker}", "/v1/quotes/NOPE", 404)]
    first = next(a for a in lines if a["event"] == "request")
    assert first["request_id"] == "fast-1" and first["method"] == "GET"
    assert first["level"] == "info" and first["timestamp"].endswith("Z")
    assert first["duration_ms"] >= 0


async def test_cors_headers_reach_fast_path_responses(market_app):
    container, _ = market_app
    container.settings.http.cors_origins = ["https://app.example"]
    try:
        app = create_app(container, manage_lifecycle=False)
    finally:
        container.settings.http.cors_origins = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        resp = await client.get("/v1/quotes/NVDA", headers={"origin": "https://app.example"})
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "https://app.example"


async def test_a_fast_route_must_mirror_a_fastapi_get_route():
    app = FastAPI()

    @app.get("/items/{item}/parts")
    async def parts(item: str) -> dict:
        return {}

    @app.post("/items/{item}")
    async def create(item: str) -> dict:
        return {}

    async def answer(container, param, query):
        return b"{}"

    with pytest.raises(ValueError, match="mirrors no FastAPI GET route"):
        FastPath(app, [FastRoute("/items/{item}", answer)], app.routes, None)
    with pytest.raises(ValueError, match="one parameter, as the last segment"):
        FastPath(app, [FastRoute("/items/{item}/parts", answer)], app.routes, None)
