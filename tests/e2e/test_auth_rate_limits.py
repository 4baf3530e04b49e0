"""Rate limits at the edge, exact to the request, in memory and in Redis: L calls pass, the next
is a 429 with Retry-After, a call after Retry-After passes; callers never share a budget."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.conftest import assert_problem
from tests.e2e.users_support import PASSWORD, app_with, new_email, sign_up

# A burst of LIMIT + 1 requests must fit in one window. The Redis strategy's window starts at
# a caller's first hit, so on a machine loaded to 3x its cores 2 s was sometimes too short.
LIMIT, WINDOW = 5, 6


@pytest.fixture(params=["memory", "redis"])
async def limited(request, tmp_path):
    """Small per-caller limits at the edge."""
    async with app_with(tmp_path, request.param,
                        anonymous_rate_limit=f"{LIMIT}/{WINDOW}second",
                        rate_limits={"free": f"{LIMIT}/{WINDOW}second", "pro": "100/minute",
                                     "enterprise": "1000/minute"}) as client:
        yield client


@pytest.fixture(params=["memory", "redis"])
async def throttled(request, tmp_path):
    """Small sign-in limits; the edge's own limits out of the way."""
    async with app_with(tmp_path, request.param, login_limit_per_account="3/minute",
                        login_limit_per_ip="8/minute") as client:
        yield client


async def at_window_start() -> None:
    # Start a burst just after a window boundary, so it lies within one window.
    await asyncio.sleep(WINDOW - time.time() % WINDOW + 0.02)


async def test_limit_then_429_then_allowed_after_retry_after(limited):
    client = limited
    await at_window_start()
    for i in range(LIMIT):
        resp = await client.get("/v1/market-status")
        assert resp.status_code == 200, i
        assert resp.headers["ratelimit-policy"] == f"{LIMIT};w={WINDOW}"
        assert resp.headers["ratelimit"].startswith(
            f"limit={LIMIT}, remaining={LIMIT - i - 1}, reset=")
    refused = await client.get("/v1/market-status")
    body = assert_problem(refused, 429)
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW and body["retry_after"] == retry_after
    assert refused.headers["ratelimit"].startswith(f"limit={LIMIT}, remaining=0")
    await asyncio.sleep(retry_after)
    assert (await client.get("/v1/market-status")).status_code == 200


async def test_one_users_exhaustion_does_not_touch_another(limited):
    client = limited
    a, b = await sign_up(client), await sign_up(client)
    await at_window_start()
    for _ in range(LIMIT):
        assert (await client.get("/v1/market-status", headers=a.headers)).status_code == 200
    assert_problem(await client.get("/v1/users/me", headers=a.headers), 429)
    # Another user, and the anonymous budget of the same address, are untouched.
    assert (await client.get("/v1/users/me", headers=b.headers)).status_code == 200
    assert (await client.get("/v1/market-status")).status_code == 200


async def test_the_quote_fast_path_counts_too(limited):
    client = limited
    await at_window_start()
    statuses = [(await client.get("/v1/quotes/BTC-USD")).status_code
                for _ in range(LIMIT + 1)]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]


async def test_sign_in_is_throttled_per_account_alike_for_unknown_accounts(throttled):
    client = throttled
    known = await sign_up(client)
    for email in (known.email, new_email()):
        for _ in range(3):
            resp = await client.post("/v1/auth/login",
                                     json={"email": email, "password": "wrong password"})
            assert_problem(resp, 401)
        # The right password does not help once the account is throttled.
        blocked = await client.post("/v1/auth/login",
                                    json={"email": email, "password": PASSWORD})
        assert_problem(blocked, 429)
        assert int(blocked.headers["retry-after"]) >= 1
    # Per address: 8 attempts over any accounts (all spent above), then refused
    # whatever the account.
    resp = await client.post("/v1/auth/login", json={"email": new_email(), "password": "x"})
    assert_problem(resp, 429)
