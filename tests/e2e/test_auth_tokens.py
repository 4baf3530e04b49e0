"""Forged and invalid tokens, every kind refused with a 401 problem: over REST (the FastAPI
routes and the quote fast path) and on the WebSocket handshake of a real server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import orjson
import pytest
import websockets
from cryptography.hazmat.primitives import serialization
from websockets.exceptions import InvalidStatus

from stockflow.bootstrap import bootstrap
from stockflow.users.domain import Tier, permissions_for
from stockflow.users.keys import generate_pem, load_key
from stockflow.users.tokens import TokenService
from tests.conftest import assert_problem, make_settings, serving
from tests.e2e.test_stream_quotes import recv_until
from tests.e2e.users_support import AUTH, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")
OTHER_KEY = load_key(generate_pem())


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64(orjson.dumps(header))}.{b64(orjson.dumps(claims))}."


def good_claims(**changes) -> dict:
    now = int(time.time())
    claims = {"iss": "stockflow", "aud": "stockflow-api", "sub": "u-1", "email": "a@b.example",
              "tier": "pro", "permissions": sorted(permissions_for(Tier.PRO)), "iat": now,
              "exp": now + 900}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def forgeries(container, refresh_token: str) -> dict[str, str]:
    """Name -> token. Each is refused for its own reason."""
    key = container.port(TokenService).ring.signing
    header = {"kid": key.kid, "typ": "at+jwt"}

    def signed(claims: dict, *, alg: str = "RS256", private=key.private_key, **extra) -> str:
        return jwt.encode(claims, private, algorithm=alg, headers={**header, **extra})

    good = signed(good_claims())
    head, payload, signature = good.split(".")
    tampered = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered["tier"] = "enterprise"
    pem = key.public_key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    hs_head = b64(orjson.dumps({"alg": "HS256", **header}))
    hs_body = b64(orjson.dumps(good_claims()))
    hs_sig = b64(hmac.new(pem, f"{hs_head}.{hs_body}".encode(), hashlib.sha256).digest())
    return {
        "not a jwt": "abc.def",
        "alg none": unsigned({"alg": "none", **header}, good_claims()),
        "alg none, no signature part": unsigned({"alg": "none", **header}, good_claims())[:-1],
        "HS256 keyed with the public key": f"{hs_head}.{hs_body}.{hs_sig}",
        "RS512 with the right key": signed(good_claims(), alg="RS512"),
        "PS256 with the right key": signed(good_claims(), alg="PS256"),
        "unknown kid": signed(good_claims(), private=OTHER_KEY.private_key, kid=OTHER_KEY.kid),
        "our kid, another key": signed(good_claims(), private=OTHER_KEY.private_key),
        "no kid": jwt.encode(good_claims(), key.private_key, algorithm="RS256",
                             headers={"typ": "at+jwt"}),
        "expired beyond the leeway": signed(good_claims(exp=int(time.time()) - 31,
                                                        iat=int(time.time()) - 1000)),
        "issued in the future": signed(good_claims(iat=int(time.time()) + 600)),
        "not valid before a future time": signed(good_claims(nbf=int(time.time()) + 600)),
        "wrong issuer": signed(good_claims(iss="https://evil.example")),
        "wrong audience": signed(good_claims(aud="another-api")),
        "no exp": signed(good_claims(exp=None)),
        "no iss": signed(good_claims(iss=None)),
        "no aud": signed(good_claims(aud=None)),
        "no sub": signed(good_claims(sub=None)),
        "tampered tier": f"{head}.{b64(orjson.dumps(tampered))}.{signature}",
        "truncated signature": good[:-10],
        "unknown tier": signed(good_claims(tier="platinum")),
        "unknown permission": signed(good_claims(permissions=["read:everything"])),
        "refresh token as access token": refresh_token,
        "refresh-typed JWT": jwt.encode(good_claims(), key.private_key, algorithm="RS256",
                                        headers={"kid": key.kid, "typ": "refresh+jwt"}),
        "plain JWT typ": jwt.encode(good_claims(), key.private_key, algorithm="RS256",
                                    headers={"kid": key.kid, "typ": "JWT"}),
    }


async def test_every_forged_or_invalid_token_is_refused_over_rest(users_app):
    container, client, _ = users_app
    session = await sign_up(client)
    tokens = forgeries(container, session.refresh)
    assert len(tokens) >= 15
    for name, token in tokens.items():
        # An account route, a route behind FastAPI, and the quote fast path: an invalid token
        # is refused everywhere, never downgraded to anonymous access.
        for path in ("/v1/users/me", "/v1/historical/NVDA", "/v1/quotes/NVDA"):
            resp = await client.get(path, headers={"Authorization": f"Bearer {token}"})
            body = assert_problem(resp, 401)
            assert resp.headers["www-authenticate"].startswith("Bearer"), name
            assert body["type"].endswith("/unauthorized"), name
    # The control: a well-formed token with the same key passes.
    good = jwt.encode(good_claims(), container.port(TokenService).ring.signing.private_key,
                      algorithm="RS256", headers={"kid": container.port(TokenService).ring.signing.kid,
                                                  "typ": "at+jwt"})
    resp = await client.get("/v1/quotes/NVDA", headers={"Authorization": f"Bearer {good}"})
    assert resp.status_code == 200


async def test_a_malformed_authorization_header_is_refused(users_app):
    _, client, _ = users_app
    for value in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token abc"):
        assert_problem(await client.get("/v1/quotes/NVDA", headers={"Authorization": value}),
                       401)


async def test_a_key_taken_off_the_ring_stops_verifying(users_app):
    container, client, _ = users_app
    session = await sign_up(client)
    assert (await client.get("/v1/users/me", headers=session.headers)).status_code == 200
    old_ring = container.port(TokenService).ring
    from stockflow.users.keys import KeyRing

    container.port(TokenService).use_keys(KeyRing([OTHER_KEY]))
    try:
        assert_problem(await client.get("/v1/users/me", headers=session.headers), 401)
    finally:
        container.port(TokenService).use_keys(old_ring)


# -- the WebSocket handshake, on a real server --------------------------------------------
@pytest.fixture
async def ws_server(tmp_path):
    container = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False},
                                        http={"access_log": False}, auth=AUTH))
    async with serving(container) as url:
        yield container, url


def access_token(container, tier: Tier) -> str:
    return container.port(TokenService).issue(user_id=f"user-{tier}", email=f"{tier}@example.com",
                                  tier=tier.value, permissions=permissions_for(tier))[0]


async def refused(url: str, status: int, **kwargs) -> dict:
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(url, **kwargs):
            pass
    response = info.value.response
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = json.loads(response.body)
    assert body["status"] == status and body["instance"] == "/v1/stream/quotes"
    return body


@pytest.mark.asyncio(loop_scope="function")
async def test_stream_handshake_refuses_forgeries_and_lower_tiers(ws_server):
    container, url = ws_server
    for name, token in forgeries(container, "opaque-refresh-token").items():
        body = await refused(f"{url}?token={token}", 401)
        assert body["type"].endswith("/unauthorized"), name
        await refused(url, 401, additional_headers={"Authorization": f"Bearer {token}"})
    await refused(url, 401)  # anonymous callers are free tier here: no streams
    free = access_token(container, Tier.FREE)
    body = await refused(f"{url}?token={free}", 403)
    assert "read:streams" in body["detail"]


@pytest.mark.asyncio(loop_scope="function")
async def test_stream_admits_pro_by_header_or_query_parameter(ws_server):
    container, url = ws_server
    pro = access_token(container, Tier.PRO)
    for kwargs, target in (({"additional_headers": {"Authorization": f"Bearer {pro}"}}, url),
                           ({}, f"{url}?token={pro}")):
        async with websockets.connect(target, **kwargs) as ws:
            await ws.send(json.dumps({"action": "ping"}))
            assert (await recv_until(ws, "pong"))["type"] == "pong"
