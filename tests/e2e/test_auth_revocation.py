"""Revocation: logout, a password change and a tier change end access tokens at once, not when
they expire; an open stream is closed (1008, with the reason) when its token expires or is
revoked."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import jwt
import pytest
import pytest_asyncio
import websockets
from websockets.exceptions import ConnectionClosed

from stockflow.bootstrap import bootstrap
from stockflow.users.domain import Tier, permissions_for
from stockflow.users.tokens import ACCESS_TYPE, ALGORITHM, TokenService
from tests.conftest import assert_problem, make_settings, serving
from tests.e2e.users_support import ADMIN_KEY, AUTH, PASSWORD, set_tier, sign_in, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def refused(client: httpx.AsyncClient, session, reason: str) -> None:
    body = assert_problem(await client.get("/v1/users/me", headers=session.headers), 401)
    assert reason in body["detail"], body


async def admitted(client: httpx.AsyncClient, session) -> None:
    assert (await client.get("/v1/users/me", headers=session.headers)).status_code == 200


async def test_logout_ends_the_token_presented_and_every_token_of_its_session(users_app):
    _, client, _ = users_app
    first = await sign_up(client)
    second = await sign_in(client, first.email)
    resp = await client.post("/v1/auth/logout", json={"refresh_token": second.refresh},
                             headers=second.headers)
    assert resp.status_code == 204
    await refused(client, second, "revoked")
    await admitted(client, first)  # another session of the same user lives on
    # Without presenting its access token: the session's tokens go all the same.
    await client.post("/v1/auth/logout", json={"refresh_token": first.refresh})
    await refused(client, first, "revoked")


async def test_a_password_change_ends_every_earlier_token(users_app):
    _, client, _ = users_app
    first = await sign_up(client)
    other = await sign_in(client, first.email)
    resp = await client.put("/v1/users/me", headers=first.headers,
                            json={"current_password": PASSWORD, "new_password": PASSWORD + "!"})
    assert resp.status_code == 200, resp.text
    await refused(client, first, "password or access changed")
    await refused(client, other, "password or access changed")
    await admitted(client, await sign_in(client, first.email, PASSWORD + "!"))


async def test_a_tier_change_ends_the_tokens_that_carry_the_old_tier(users_app):
    _, client, _ = users_app
    free = await sign_up(client)
    await set_tier(client, free.user_id, "pro")
    await refused(client, free, "password or access changed")
    pro = await sign_in(client, free.email)
    me = await client.get("/v1/users/me", headers=pro.headers)
    assert me.json()["data"]["tier"] == "pro"


# -- streams ------------------------------------------------------------------------------
@pytest_asyncio.fixture(loop_scope="function")
async def stream_server(tmp_path):
    container = bootstrap(make_settings(
        tmp_path, simulator={"backfill_on_start": False}, http={"access_log": False},
        streams={"heartbeat_seconds": 0.2}, control={"api_key": ADMIN_KEY},
        auth={**AUTH, "leeway_seconds": 0}))
    async with serving(container) as url:
        base = url.replace("ws://", "http://").removesuffix("/v1/stream/quotes")
        async with httpx.AsyncClient(base_url=base) as client:
            yield container, url, client


async def closed_with(ws, timeout: float = 10.0) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    return info.value.rcvd.code, info.value.rcvd.reason


@pytest.mark.asyncio(loop_scope="function")
async def test_an_open_stream_is_closed_when_its_token_is_revoked(stream_server):
    _, url, client = stream_server
    pro = await sign_up(client, tier="pro")
    async with websockets.connect(f"{url}?token={pro.access}") as ws:
        await ws.send(json.dumps({"action": "ping"}))
        await ws.recv()
        await client.post("/v1/auth/logout", json={"refresh_token": pro.refresh})
        assert await closed_with(ws) == (1008, "token has been revoked")


@pytest.mark.asyncio(loop_scope="function")
async def test_an_open_stream_is_closed_when_its_tier_changes(stream_server):
    _, url, client = stream_server
    pro = await sign_up(client, tier="pro")
    async with websockets.connect(url, additional_headers=pro.headers) as ws:
        await set_tier(client, pro.user_id, "free")
        code, reason = await closed_with(ws)
        assert code == 1008 and "access changed" in reason


@pytest.mark.asyncio(loop_scope="function")
async def test_an_open_stream_is_closed_when_its_token_expires(stream_server):
    container, url, _ = stream_server
    tokens = container.port(TokenService)
    key, now = tokens.ring.signing, int(time.time())
    short = jwt.encode({"iss": tokens.issuer, "aud": tokens.audience, "sub": "u-short",
                        "email": "s@example.com", "tier": "pro", "iat": now, "exp": now + 2,
                        "permissions": sorted(permissions_for(Tier.PRO))},
                       key.private_key, algorithm=ALGORITHM,
                       headers={"kid": key.kid, "typ": ACCESS_TYPE})
    async with websockets.connect(f"{url}?token={short}") as ws:
        heartbeat = json.loads(await ws.recv())  # alive until then
        assert heartbeat["type"] == "heartbeat"
        assert await closed_with(ws) == (1008, "token has expired")
