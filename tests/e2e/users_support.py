"""Helpers for the account suites: an app with accounts on, and signed-in sessions."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from stockflow.bootstrap import bootstrap
from stockflow.testing.services import require_service_url
from tests.conftest import make_settings, started_client

ADMIN_KEY = "test-admin-key-0123456789"
PASSWORD = "correct horse battery staple"
# Accounts on, anonymous callers on the free tier; limits high enough not to interfere, except
# in the suites that test them.
AUTH = {"anonymous_tier": "free", "anonymous_rate_limit": "100000/minute",
        "rate_limits": {"free": "100000/minute", "pro": "100000/minute",
                        "enterprise": "100000/minute"},
        "login_limit_per_account": "1000/minute", "login_limit_per_ip": "100000/minute"}


@dataclass
class Session:
    user_id: str
    email: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


async def sign_up(client: httpx.AsyncClient, tier: str | None = None) -> Session:
    email = new_email()
    resp = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 201, resp.text
    data = resp.json()["data"]
    session = Session(data["user"]["id"], email, data["access_token"], data["refresh_token"])
    if tier is not None:
        await set_tier(client, session.user_id, tier)
        return await sign_in(client, email)
    return session


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Session:
    resp = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    me = await client.get("/v1/users/me",
                          headers={"Authorization": f"Bearer {data['access_token']}"})
    return Session(me.json()["data"]["id"], email, data["access_token"], data["refresh_token"])


async def set_tier(client: httpx.AsyncClient, user_id: str, tier: str) -> None:
    resp = await client.patch(f"/api/admin/users/{user_id}", json={"tier": tier},
                              headers={"X-API-Key": ADMIN_KEY})
    assert resp.status_code == 200, resp.text


@asynccontextmanager
async def app_with(tmp_path, backend: str, settings: dict | None = None, **auth_overrides):
    """A started app (no backfill) with accounts on, its rate limits on `backend`."""
    async with container_with(tmp_path, backend, settings, **auth_overrides) as (_, client):
        yield client


@asynccontextmanager
async def container_with(tmp_path, backend: str, settings: dict | None = None,
                         **auth_overrides):
    """`app_with`, yielding (container, client) for tests that look inside the app too."""
    url = "memory://"
    if backend == "redis":
        url = require_service_url("STOCKFLOW_TEST_REDIS_URL", "Redis")
    auth = {**AUTH, "rate_limit_url": url, "rate_limit_prefix": f"test-{uuid.uuid4().hex}",
            **auth_overrides}
    container = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False},
                                        auth=auth, **(settings or {})))
    async with started_client(container) as client:
        yield container, client
