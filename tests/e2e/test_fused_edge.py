"""The fused edge (entrypoints/fused.py) against the layered one: one request set (anonymous,
operator key, JWTs valid, malformed and revoked, free, pro and enterprise tiers, over the
limit, maintenance on, bad tickers, bodies, CORS, oversized heads) through both, compared on
status, headers and body; with the rate limits in memory and in Redis."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
import pytest_asyncio

from stockflow.bootstrap import Container, bootstrap
from stockflow.control.maintenance import MaintenanceService
from stockflow.entrypoints.fused import FusedEdge
from stockflow.entrypoints.http import create_app
from stockflow.testing.fakes import FakeClock
from stockflow.testing.services import require_service_url
from tests.conftest import MARKET_TIME, backfilled_client, make_settings
from tests.e2e.users_support import ADMIN_KEY, AUTH, sign_in, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")

ANONYMOUS_LIMIT = 40  # per minute: the set below sends more than this from one address
FREE_LIMIT = 8        # a free user's set goes past it
BATCH = "NVDA,MSFT,AAPL,SPY,ETH-USD"
QUOTE_URLS = [
    "/v1/quotes/NVDA", "/v1/quotes/nvda", "/v1/quotes/btc-usd", "/v1/quotes/NVDA?x=1",
    f"/v1/quotes?tickers={BATCH}", "/v1/quotes?tickers=aapl,%20msft%20,AAPL",
    "/v1/quotes?tickers=NVDA&tickers=MSFT",
    # refused by the service (404), by FastAPI's validation (422), or by the batch size
    "/v1/quotes/NOPE", "/v1/quotes/" + "X" * 30, "/v1/quotes/NV%20DA", "/v1/quotes",
    "/v1/quotes?tickers=", "/v1/quotes?tickers=NVDA,ZZZZ",
    "/v1/quotes?tickers=" + ",".join(f"T{i}" for i in range(51)),
]


@pytest_asyncio.fixture(loop_scope="session", scope="module", params=["memory", "redis"])
async def edges(request, tmp_path_factory) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    url = "memory://" if request.param == "memory" else require_service_url(
        "STOCKFLOW_TEST_REDIS_URL", "Redis")
    auth = {**AUTH, "rate_limit_url": url, "rate_limit_prefix": f"test-{uuid.uuid4().hex}",
            "anonymous_rate_limit": f"{ANONYMOUS_LIMIT}/minute",
            "rate_limits": {**AUTH["rate_limits"], "free": f"{FREE_LIMIT}/minute"}}
    container = bootstrap(make_settings(tmp_path_factory.mktemp("fused"), auth=auth,
                                        control={"api_key": ADMIN_KEY}),
                          clock=FakeClock(MARKET_TIME))
    async with backfilled_client(container) as admin:
        yield container, admin


def _client(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def _request_set(container: Container, admin: httpx.AsyncClient, app,
                       address: str) -> list[tuple]:
    """Every answer of the set, normalised, from callers made for this run alone (a fresh
    address, fresh accounts), so both runs start from the same rate-limit state."""
    await _clear_of_a_window_edge()
    # Accounts and tiers are set up through the admin client's own address.
    pro = await sign_up(admin, tier="pro")
    enterprise = await sign_up(admin, tier="enterprise")
    free = await sign_up(admin)
    revoked = await sign_in(admin, free.email)
    resp = await admin.post("/v1/auth/logout", json={"refresh_token": revoked.refresh},
                            headers=revoked.headers)
    assert resp.status_code == 204
    tokens = {"pro": pro.access, "enterprise": enterprise.access, "free": free.access,
              "revoked": revoked.access, "garbage": "not-a-jwt"}
    answers = []
    async with _client(app, address) as client:
        async def get(url: str, headers: dict[str, str] | None = None, **kwargs) -> None:
            resp = await client.request("GET", url, headers=headers, **kwargs)
            answers.append(_comparable(url, headers, resp))

        for who in ("pro", "enterprise", "free"):
            for url in QUOTE_URLS:
                await get(url, {"Authorization": f"Bearer {tokens[who]}"})
        for who in ("revoked", "garbage"):
            await get("/v1/quotes/NVDA", {"Authorization": f"Bearer {tokens[who]}"})
        for value in ("Basic dXNlcjpwdw==", "Bearer ", "bearer " + pro.access):
            await get("/v1/quotes/NVDA", {"Authorization": value})
        await get("/v1/quotes/NVDA", {"X-API-Key": ADMIN_KEY})  # the operator key: no tier
        await get("/v1/quotes/NVDA", {"X-Request-Id": "given-by-the-client"})
        await get("/v1/quotes/NVDA", {"Origin": "https://app.example"})
        await get("/v1/quotes/NVDA", content=b"{}")
        await get("/v1/quotes/NVDA", content=b"x" * (container.settings.http.max_body_bytes + 1))
        await get("/v1/quotes/NVDA", {f"X-Pad-{i}": "1" for i in range(120)})
        await get("/v1/quotes/NVDA", {"X-Pad": "x" * 20_000})
        await get("/v1/quotes/NVDA?" + "q" * 10_000)
        await get("/v1/historical/NVDA?limit=2")  # not a fast route
        gate = container.port(MaintenanceService).flag
        gate.set(True)
        try:
            await get("/v1/quotes/NVDA")
            await get(f"/v1/quotes?tickers={BATCH}", {"Authorization": f"Bearer {pro.access}"})
            await get("/health")
        finally:
            gate.set(False)
        for url in QUOTE_URLS:  # anonymous (the free tier): past the per-address limit
            await get(url)
            await get(url)
        for _ in range(3):
            await get("/v1/quotes/NVDA", {"Authorization": f"Bearer {pro.access}"})
    return answers


async def _clear_of_a_window_edge(margin: float = 20.0) -> None:
    """Start a run only when a minute's window has `margin` seconds left. Every limit here is
    per minute and the sliding window weighs the previous minute's hits in: a run that crosses
    a minute's end counts its callers' earlier requests (sign-in's /users/me) for less than a
    run that does not, and the two runs' RateLimit headers differ by one."""
    left = 60.0 - time.time() % 60.0
    if left < margin:
        await asyncio.sleep(left + 0.05)


_RESET = re.compile(r", reset=\d+")


def _comparable(url: str, sent: dict[str, str] | None, resp: httpx.Response) -> tuple:
    """What must be equal between the two paths; the request id (unless the client sent it),
    and the seconds until a window frees a request, differ between runs by design."""
    headers = dict(resp.headers)
    assert len(headers.pop("x-request-id")) == 32 or "X-Request-Id" in (sent or {})
    if "ratelimit" in headers:
        headers["ratelimit"] = _RESET.sub("", headers["ratelimit"])
    body = orjson.loads(resp.content) if resp.content else None
    if resp.status_code == 429:
        headers.pop("retry-after")
        body.pop("retry_after")
    if isinstance(body, dict) and isinstance(body.get("meta"), dict):
        assert body["meta"].pop("timestamp")
    return url, sorted(sent or {})[:3], resp.status_code, headers, body


async def test_the_fused_edge_answers_every_request_as_the_layered_one(edges):
    container, admin = edges
    fused = create_app(container, manage_lifecycle=False)
    layered = create_app(container, manage_lifecycle=False)
    layered.fused = False
    fused.edge_stack = fused.build_edge_stack()
    assert isinstance(fused.edge_stack, FusedEdge)  # else this compares the layers with themselves
    assert not isinstance(layered.build_edge_stack(), FusedEdge)
    through_layers = await _request_set(container, admin, layered, "10.0.0.1")
    fused_answers = await _request_set(container, admin, fused, "10.0.0.2")
    statuses = {answer[2] for answer in through_layers}
    # The set reaches every kind of answer it is meant to compare.
    assert {200, 401, 404, 413, 414, 422, 429, 431, 503} <= statuses, statuses
    for layered_answer, fused_answer in zip(through_layers, fused_answers, strict=True):
        assert fused_answer == layered_answer
