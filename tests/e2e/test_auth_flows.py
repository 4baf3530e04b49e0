"""Accounts end to end: sign-up, sign-in, refresh rotation and reuse, logout, profile, tiers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from stockflow.testing.eventually import eventually
from stockflow.users.passwords import Passwords
from stockflow.users.service import AccountService
from tests.conftest import assert_problem
from tests.e2e.users_support import ADMIN_KEY, PASSWORD, new_email, set_tier, sign_in, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_register_login_profile_and_the_registered_event(users_app):
    _, client, events = users_app
    email = new_email()
    resp = await client.post("/v1/auth/register",
                             json={"email": email.upper(), "password": PASSWORD,
                                   "full_name": "Ada"})
    assert resp.status_code == 201
    data = resp.json()["data"]
    assert data["token_type"] == "Bearer" and data["expires_in"] == 900
    assert data["user"]["tier"] == "free" and data["user"]["email"] == email
    session = await sign_in(client, email)
    me = (await client.get("/v1/users/me", headers=session.headers)).json()["data"]
    assert me["full_name"] == "Ada" and me["id"] == data["user"]["id"]
    assert "read:quotes" in me["permissions"] and "read:quotes:realtime" not in me["permissions"]
    mine = await eventually(lambda: [e for e in events.of_type("user.registered")
                                     if e.data["user_id"] == me["id"]],
                            message="user.registered published")
    (event,) = mine
    assert event.data == {"user_id": me["id"], "tier": "free"}  # no password, no hash


async def test_duplicate_email_is_a_conflict(users_app):
    _, client, _ = users_app
    session = await sign_up(client)
    resp = await client.post("/v1/auth/register",
                             json={"email": session.email, "password": PASSWORD})
    assert_problem(resp, 409)


@pytest.mark.parametrize("extra", [{"tier": "enterprise"}, {"permissions": ["write:webhooks"]},
                                   {"id": "00000000-0000-0000-0000-000000000000"}])
async def test_mass_assignment_is_refused_on_register_and_profile(users_app, extra):
    container, client, _ = users_app
    resp = await client.post("/v1/auth/register",
                             json={"email": new_email(), "password": PASSWORD, **extra})
    assert_problem(resp, 422)
    session = await sign_up(client)
    resp = await client.put("/v1/users/me", headers=session.headers,
                            json={"full_name": "Mallory", **extra})
    assert_problem(resp, 422)
    user = await container.port(AccountService).me(session.user_id)
    assert user.tier == "free" and user.permissions == () and user.full_name is None


async def test_unknown_user_and_wrong_password_answer_alike(users_app):
    _, client, _ = users_app
    session = await sign_up(client)
    wrong = await client.post("/v1/auth/login",
                              json={"email": session.email, "password": "not the password"})
    unknown = await client.post("/v1/auth/login",
                                json={"email": new_email(), "password": "not the password"})
    assert assert_problem(wrong, 401) == assert_problem(unknown, 401)
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(users_app):
    _, client, _ = users_app
    first = await sign_up(client)
    resp = await client.post("/v1/auth/refresh", json={"refresh_token": first.refresh})
    assert resp.status_code == 200
    second = resp.json()["data"]
    assert second["refresh_token"] != first.refresh
    me = await client.get("/v1/users/me",
                          headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.status_code == 200
    # The spent token comes back: refused, and the newest token of its family dies with it.
    assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": first.refresh}), 401)
    assert_problem(await client.post("/v1/auth/refresh",
                              json={"refresh_token": second["refresh_token"]}), 401)
    # Other sign-ins of the same account are other families and live on.
    other = await sign_in(client, first.email)
    assert (await client.post("/v1/auth/refresh",
                              json={"refresh_token": other.refresh})).status_code == 200


async def test_two_concurrent_refreshes_with_one_token_give_at_most_one_success(users_app):
    _, client, _ = users_app
    for _ in range(5):
        session = await sign_up(client)
        results = await asyncio.gather(*(
            client.post("/v1/auth/refresh", json={"refresh_token": session.refresh})
            for _ in range(2)))
        assert sorted(r.status_code for r in results) in ([200, 401], [401, 401])
        for won in (r for r in results if r.status_code == 200):
            # The loser's reuse revoked the family, the winner's new token included.
            again = await client.post("/v1/auth/refresh",
                                      json={"refresh_token": won.json()["data"]["refresh_token"]})
            assert again.status_code == 401


async def test_a_reuse_landing_while_the_winner_writes_its_session_revokes_that_too(
        users_app, monkeypatch):
    container, client, _ = users_app
    session = await sign_up(client)
    store = container.port(AccountService).store
    real_get_user = store.get_user
    loser: list[httpx.Response] = []

    async def reuse_in_between(user_id):
        # The winner has claimed the token; the thief's copy arrives before its new session.
        loser.append(await client.post("/v1/auth/refresh",
                                       json={"refresh_token": session.refresh}))
        return await real_get_user(user_id)

    monkeypatch.setattr(store, "get_user", reuse_in_between)
    winner = await client.post("/v1/auth/refresh", json={"refresh_token": session.refresh})
    monkeypatch.setattr(store, "get_user", real_get_user)
    assert loser[0].status_code == 401 and winner.status_code == 401


async def test_logout_revokes_the_refresh_token(users_app):
    _, client, _ = users_app
    session = await sign_up(client)
    resp = await client.post("/v1/auth/logout", json={"refresh_token": session.refresh})
    assert resp.status_code == 204
    assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": session.refresh}), 401)


async def test_password_change_needs_the_current_one_and_revokes_sessions(users_app):
    _, client, _ = users_app
    session = await sign_up(client)
    other = await sign_in(client, session.email)
    new = "a brand new passphrase"
    resp = await client.put("/v1/users/me", headers=session.headers,
                            json={"new_password": new, "current_password": "wrong guess!"})
    assert_problem(resp, 422)
    resp = await client.put("/v1/users/me", headers=session.headers,
                            json={"new_password": new, "current_password": PASSWORD})
    assert resp.status_code == 200
    for s in (session, other):
        assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": s.refresh}), 401)
    assert_problem(await client.post("/v1/auth/login",
                              json={"email": session.email, "password": PASSWORD}), 401)
    await sign_in(client, session.email, new)


async def test_login_rehashes_when_the_argon2_parameters_rise(users_app):
    container, client, _ = users_app
    session = await sign_up(client)
    before = (await container.port(AccountService).me(session.user_id)).password_hash
    assert "m=19456,t=2,p=1" in before
    baseline = container.port(AccountService).passwords
    container.port(AccountService).passwords = Passwords(time_cost=3, memory_kib=19456, parallelism=1)
    try:
        await sign_in(client, session.email)
    finally:
        container.port(AccountService).passwords = baseline
    after = (await container.port(AccountService).me(session.user_id)).password_hash
    assert "m=19456,t=3,p=1" in after
    await sign_in(client, session.email)  # the old parameters still verify the new hash


async def test_only_the_controller_changes_a_tier(users_app):
    _, client, _ = users_app
    session = await sign_up(client)
    path = f"/api/admin/users/{session.user_id}"
    assert_problem(await client.patch(path, json={"tier": "pro"}, headers=session.headers), 401)
    assert_problem(await client.patch(path, json={"tier": "pro"},
                               headers={"X-API-Key": "wrong-key"}), 401)
    assert_problem(await client.patch(path, json={"permissions": ["fly:rockets"]},
                               headers={"X-API-Key": ADMIN_KEY}), 422)
    await set_tier(client, session.user_id, "pro")
    # The next refresh carries the new tier.
    resp = await client.post("/v1/auth/refresh", json={"refresh_token": session.refresh})
    access = resp.json()["data"]["access_token"]
    me = await client.get("/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    assert me.json()["data"]["tier"] == "pro"
    listed = await client.get("/api/admin/users?limit=500", headers={"X-API-Key": ADMIN_KEY})
    assert session.user_id in {u["id"] for u in listed.json()["data"]}


async def test_tiers_hold_on_quotes_free_is_delayed_pro_is_live(users_app):
    container, client, _ = users_app
    free, pro = await sign_up(client), await sign_up(client, tier="pro")
    now = container.clock.now()
    for path in ("/v1/quotes/NVDA", "/v1/quotes?tickers=NVDA,BTC-USD"):
        for headers in (free.headers, {}):  # signed-in free and anonymous (free) alike
            resp = await client.get(path, headers=headers)
            assert resp.status_code == 200, resp.text
            meta = resp.json()["meta"]
            assert meta["delayed"] is True and meta["delay_seconds"] == 900
            assert meta["as_of"].startswith((now.replace(minute=15)).isoformat()[:16])
            data = resp.json()["data"]
            for q in data if isinstance(data, list) else [data]:
                assert q["time"] <= meta["as_of"]
        live = await client.get(path, headers=pro.headers)
        assert "delayed" not in live.json()["meta"]
    live = (await client.get("/v1/quotes/BTC-USD", headers=pro.headers)).json()["data"]
    late = (await client.get("/v1/quotes/BTC-USD", headers=free.headers)).json()["data"]
    assert late["time"] < live["time"] and late["price"] != live["price"]


async def test_paths_no_context_declares_are_refused_whoever_asks(users_app):
    _, client, _ = users_app
    free, enterprise = await sign_up(client), await sign_up(client, tier="enterprise")
    for path in ("/v1/undeclared", "/v1/orders/NVDA", "/v1/webhooks", "/v1/raw/ticks",
                 "/internal/metrics/track"):
        assert_problem(await client.get(path, headers=free.headers), 403)
        assert_problem(await client.get(path, headers=enterprise.headers), 403)
        assert_problem(await client.get(path), 401)
    assert_problem(await client.get("/v1/users/me"), 401)
    assert_problem(await client.get("/v1/watchlists"), 401)


async def test_issued_tokens_verify_with_an_independent_jose_library_from_the_jwks(users_app):
    _, client, _ = users_app
    session = await sign_up(client, tier="pro")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert all("d" not in k and "p" not in k for k in jwks["keys"])  # public parts only
    token = jwt.decode(session.access, KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert token.header["alg"] == "RS256" and token.header["typ"] == "at+jwt"
    assert token.header["kid"] in {k["kid"] for k in jwks["keys"]}
    claims = token.claims
    assert claims["sub"] == session.user_id and claims["email"] == session.email
    assert claims["tier"] == "pro" and "read:quotes:realtime" in claims["permissions"]
    assert claims["iss"] == "stockflow" and claims["aud"] == "stockflow-api"
    assert claims["exp"] - claims["iat"] == 900
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": "stockflow"},
                          aud={"essential": True, "value": "stockflow-api"}).validate(claims)


async def test_free_tier_history_stops_where_its_quotes_do(users_app):
    container, client, _ = users_app
    free, pro = await sign_up(client), await sign_up(client, tier="pro")
    path = "/v1/historical/BTC-USD?interval=1m&limit=5000&start=2025-11-21T14:00:00Z"
    late = (await client.get(path, headers=free.headers)).json()
    live = (await client.get(path, headers=pro.headers)).json()
    assert late["meta"]["delayed"] is True and "delayed" not in live["meta"]
    cutoff = (container.clock.now() - timedelta(minutes=16)).isoformat()
    assert late["data"][-1]["time"] <= cutoff < live["data"][-1]["time"]
    assert late["data"] == live["data"][:len(late["data"])]
