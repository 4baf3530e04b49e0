"""A rate-limit store that cannot be reached: every /v1 request gets a 503 problem with
Retry-After (never a bare 500), each is counted, and the outage is logged once."""

from __future__ import annotations

from structlog.testing import capture_logs

from stockflow.users.ratelimit import RateLimiter
from tests.conftest import assert_problem, free_port
from tests.e2e.users_support import PASSWORD, container_with, new_email

REQUESTS = 4


async def test_unreachable_store_answers_503_problem_with_retry_after(tmp_path):
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens on a port just freed
    async with container_with(tmp_path, "memory", rate_limit_url=closed) as (container, client):
        with capture_logs() as logs:
            for _ in range(REQUESTS - 1):
                resp = await client.get("/v1/market-status")
                body = assert_problem(resp, 503)
                assert int(resp.headers["retry-after"]) >= 1
                assert "rate limit" in body["detail"]
            login = await client.post("/v1/auth/login",
                                      json={"email": new_email(), "password": PASSWORD})
            assert_problem(login, 503)
        errors = container.port(RateLimiter).store_errors
        assert errors._value.get() == REQUESTS
        outages = [e for e in logs if e["event"] == "rate-limit store unreachable"]
        assert len(outages) == 1, logs
        # Routes outside /v1 do not depend on the store.
        assert (await client.get("/health")).status_code == 200
