"""The HTTP edge against a hostile client, on a real uvicorn server served as the CLI serves:
secrets kept out of the log, forwarded headers believed only from listed proxies, redirects
never built from Host, request limits answered as problems."""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager

import httpx
import pytest
import websockets

from stockflow.bootstrap import bootstrap
from stockflow.core.logsink import _flush_all
from stockflow.entrypoints.cli import uvicorn_options
from tests.conftest import assert_problem, make_settings, serving
from tests.e2e.users_support import ADMIN_KEY, AUTH, PASSWORD, new_email


@asynccontextmanager
async def served(tmp_path, *, auth: dict | None = None, http: dict | None = None, **settings):
    container = bootstrap(make_settings(
        tmp_path, simulator={"backfill_on_start": False}, auth={**AUTH, **(auth or {})},
        control={"api_key": ADMIN_KEY}, http=http or {}, **settings))
    options = uvicorn_options(container.settings.http)
    options.pop("loop")  # the test's own loop serves
    async with serving(container, **options) as url, \
            httpx.AsyncClient(base_url=base_of(url)) as client:
        yield url, client


def base_of(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://").removesuffix("/v1/stream/quotes")


async def test_no_token_key_password_or_refresh_token_reaches_the_log(tmp_path, capfd):
    secrets: list[str] = [PASSWORD, ADMIN_KEY]
    async with served(tmp_path, log={"level": "INFO"}) as (url, client):
        email = new_email()
        reg = (await client.post("/v1/auth/register",
                                 json={"email": email, "password": PASSWORD})).json()["data"]
        user_id = reg["user"]["id"]
        secrets += [reg["access_token"], reg["refresh_token"]]
        resp = await client.patch(f"/api/admin/users/{user_id}", json={"tier": "pro"},
                                  headers={"X-API-Key": ADMIN_KEY})
        assert resp.status_code == 200
        assert (await client.get("/api/admin/users",
                                 headers={"X-API-Key": "wrong-" + ADMIN_KEY})
                ).status_code == 401
        login = (await client.post("/v1/auth/login",
                                   json={"email": email, "password": PASSWORD})
                 ).json()["data"]
        assert (await client.post("/v1/auth/login",
                                  json={"email": email, "password": PASSWORD + "x"})
                ).status_code == 401
        new = (await client.post("/v1/auth/refresh",
                                 json={"refresh_token": login["refresh_token"]})
               ).json()["data"]
        secrets += [login["access_token"], login["refresh_token"], new["access_token"],
                    new["refresh_token"]]
        me = await client.get("/v1/users/me",
                              headers={"Authorization": f"Bearer {new['access_token']}"})
        assert me.status_code == 200
        async with websockets.connect(f"{url}?token={new['access_token']}") as ws:
            await ws.send(json.dumps({"action": "ping"}))
            assert json.loads(await ws.recv())["type"] in ("pong", "heartbeat")
        # A refresh token where an access token belongs: refused, and its URL logged.
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(f"{url}?token={new['refresh_token']}"):
                pass
        await client.post("/v1/auth/logout", json={"refresh_token": new["refresh_token"]})
    for handler in logging.getLogger().handlers:
        handler.flush()
    _flush_all()
    out, err = capfd.readouterr()
    logged = out + err
    # The run did log what these requests would leak: uvicorn's WebSocket lines, access lines.
    assert "WebSocket /v1/stream/quotes?token=" in logged, logged[-2000:]
    assert '"route":"/v1/auth/login"' in logged
    leaked = [s[:12] + "..." for s in secrets if s in logged]
    assert not leaked, f"secrets in the log: {leaked}"


async def test_forwarded_for_is_believed_only_from_a_listed_proxy(tmp_path):
    """From loopback, a new X-Forwarded-For on each request must not buy a new anonymous
    allowance; behind a listed proxy the forwarded address is the client's."""
    limited = {"anonymous_rate_limit": "5/minute"}
    for proxies, expected in (([], [200] * 5 + [429] * 3), (["127.0.0.1"], [200] * 8)):
        async with served(tmp_path / str(len(proxies)), auth=limited,
                          http={"forwarded_allow_ips": proxies}) as (_, client):
            statuses = [(await client.get("/v1/market-status",
                                          headers={"X-Forwarded-For": f"203.0.113.{i}"})
                         ).status_code for i in range(8)]
        assert statuses == expected, proxies


async def test_trailing_slash_redirect_is_relative_whatever_the_host(tmp_path):
    async with served(tmp_path) as (_, client):
        resp = await client.get("/v1/market-status/?x=1", headers={"Host": "evil.example"})
        assert resp.status_code == 307
        assert resp.headers["location"] == "/v1/market-status?x=1"
        followed = await client.get("/v1/market-status/", follow_redirects=True)
        assert followed.status_code == 200 and followed.url.path == "/v1/market-status"
        # A path that only looks like a host stays a 404 problem, never a redirect.
        assert_problem(await client.get("//evil.example/"), 404)


async def test_oversized_requests_are_refused_with_problems(tmp_path):
    async with served(tmp_path) as (_, client):
        body = assert_problem(await client.get("/v1/quotes/NVDA",
                                               headers={"X-Big": "a" * 1_000_000}), 431)
        assert "16384 bytes" in body["detail"]
        many = {f"x-h{i}": "1" for i in range(150)}
        assert_problem(await client.get("/v1/quotes/NVDA", headers=many), 431)
        assert_problem(await client.get("/v1/quotes/NVDA?pad=" + "a" * 9000), 414)
        login = {"email": "a@example.com", "password": "p" * 20_000}
        assert_problem(await client.post("/v1/auth/login", json=login), 413)

        async def chunks():
            for _ in range(20):
                yield b"x" * 1000

        assert_problem(await client.post("/v1/auth/login", content=chunks(),
                                         headers={"content-type": "application/json"}),
                       413)
        # Within the limits, the same routes answer as usual.
        assert (await client.get("/v1/market-status",
                                 headers={"X-Big": "a" * 8000})).status_code == 200
        ok = await client.post("/v1/auth/login", json={"email": "a@example.com",
                                                       "password": "p" * 100})
        assert_problem(ok, 401)
