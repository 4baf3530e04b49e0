"""Edge policies beyond the defaults: anonymous access off, CORS on refusals, key rotation."""

from __future__ import annotations

import jwt

from stockflow.users.keys import generate_pem, load_key
from tests.conftest import assert_problem
from tests.e2e.users_support import app_with


async def test_anonymous_none_closes_data_routes_but_not_sign_up(tmp_path):
    async with app_with(tmp_path, "memory", anonymous_tier="none") as client:
        for path in ("/v1/quotes/NVDA", "/v1/quotes?tickers=NVDA", "/v1/market-status",
                     "/v1/companies", "/v1/historical/NVDA"):
            resp = await client.get(path)
            assert_problem(resp, 401)
            assert resp.headers["www-authenticate"].startswith("Bearer")
        resp = await client.post("/v1/auth/register",
                                 json={"email": "solo@example.com", "password": "long enough"})
        assert resp.status_code == 201
        token = resp.json()["data"]["access_token"]
        resp = await client.get("/v1/market-status", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200
        assert (await client.get("/health")).status_code == 200  # operations stay open


async def test_edge_refusals_keep_request_ids_and_cors_and_preflights_need_no_token(tmp_path):
    origin = "https://app.example"
    async with app_with(tmp_path, "memory", {"http": {"cors_origins": [origin]}},
                        anonymous_tier="none") as client:
        refused = await client.get("/v1/quotes/NVDA",
                                   headers={"Origin": origin, "X-Request-ID": "req-42"})
        assert_problem(refused, 401)
        assert refused.headers["x-request-id"] == "req-42"
        assert refused.headers["access-control-allow-origin"] == origin
        preflight = await client.options("/v1/quotes/NVDA", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 200
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


async def test_configured_keys_rotate_old_tokens_verify_until_their_key_leaves(tmp_path):
    old, new = generate_pem().decode(), generate_pem().decode()
    async with app_with(tmp_path / "a", "memory", signing_keys=[old]) as client:
        issued = (await client.post("/v1/auth/register", json={
            "email": "rot@example.com", "password": "long enough"})).json()["data"]
    before = {"Authorization": f"Bearer {issued['access_token']}"}
    # Step 2 of the rotation: the new key signs, the old one still verifies.
    async with app_with(tmp_path / "b", "memory", signing_keys=[new, old]) as client:
        jwks = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert [k["kid"] for k in jwks] == [load_key(new).kid, load_key(old).kid]
        assert (await client.get("/v1/market-status", headers=before)).status_code == 200
        fresh = (await client.post("/v1/auth/register", json={
            "email": "rot2@example.com", "password": "long enough"})).json()["data"]
        assert jwt.get_unverified_header(fresh["access_token"])["kid"] == load_key(new).kid
    # Step 3: the old key is gone, and so are its tokens.
    async with app_with(tmp_path / "c", "memory", signing_keys=[new]) as client:
        assert_problem(await client.get("/v1/market-status", headers=before), 401)
