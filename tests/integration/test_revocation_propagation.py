"""A revocation made on one instance holds on another sharing Redis (cache and pub/sub): by
the push for a token the other has seen, by the cache for one it sees for the first time."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

import jwt
import redis.asyncio as aioredis

from stockflow.core.principal import TokenWatch
from stockflow.testing.eventually import eventually
from stockflow.users.revocation import PREFIX
from stockflow.users.tokens import TokenService
from tests.conftest import assert_problem
from tests.e2e.admin_app import admin_app
from tests.e2e.users_support import AUTH, sign_in, sign_up
from tests.integration.conftest import cleanup_redis


async def test_logout_on_one_instance_refuses_the_token_on_the_other(tmp_path, shared_redis):
    url, prefixed, prefix = shared_redis
    # One storage and one data folder (so one signing key), one Redis.
    shared = {"data_dir": tmp_path, "cache": {"url": prefixed}, "pubsub": {"url": prefixed},
              "auth": AUTH}
    try:
        async with AsyncExitStack() as stack:
            _, a = await stack.enter_async_context(admin_app(tmp_path, **shared))
            b_container, b = await stack.enter_async_context(admin_app(tmp_path, **shared))
            seen = await sign_up(a)
            unseen = await sign_in(a, seen.email)
            assert (await b.get("/v1/users/me", headers=seen.headers)).status_code == 200
            await a.post("/v1/auth/logout", json={"refresh_token": seen.refresh})
            revocations = b_container.port(TokenWatch)
            principal = b_container.port(TokenService).verify(seen.access)
            await eventually(lambda: revocations.refusal(principal) is not None)
            assert_problem(await b.get("/v1/users/me", headers=seen.headers), 401)
            # Revoked the way another instance writes it, but with no push: an instance seeing
            # the token for the first time reads the cache.
            jti = jwt.decode(unseen.access, options={"verify_signature": False})["jti"]
            client = aioredis.Redis.from_url(url)
            await client.set(prefix + PREFIX + "id:" + jti, repr(time.time() + 900).encode())
            await client.aclose()
            assert_problem(await b.get("/v1/users/me", headers=unseen.headers), 401)
    finally:
        await cleanup_redis(url, prefix)
