"""bench/auth: an authenticated (pro, Bearer RS256), rate-limited GET /v1/quotes/{ticker}
against the anonymous one on the same server in the same run (goal >= 0.8x), and sign-in
latency p50/p99 (argon2id at the OWASP baseline: 19 MiB, t=2, p=1)."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import HEADER, RAW_PATH, UNREACHABLE_LIMIT, Server, row, wrk

from stockflow.users.domain import Tier, permissions_for

ADMIN_KEY = "bench-admin-key-0123456789"
PASSWORD = "bench passphrase 0123"


def sign_in_as_pro(base: str) -> str:
    email = "bench@example.com"
    created = httpx.post(base + "/v1/auth/register",
                         json={"email": email, "password": PASSWORD}).json()["data"]
    httpx.patch(f"{base}/api/admin/users/{created['user']['id']}", json={"tier": "pro"},
                headers={"X-API-Key": ADMIN_KEY}).raise_for_status()
    resp = httpx.post(base + "/v1/auth/login", json={"email": email, "password": PASSWORD})
    resp.raise_for_status()
    return resp.json()["data"]["access_token"]


def login_latencies(base: str, n: int) -> list[float]:
    out = []
    with httpx.Client(base_url=base) as client:
        for _ in range(n):
            start = time.perf_counter()
            client.post("/v1/auth/login", json={"email": "bench@example.com",
                                                "password": PASSWORD}).raise_for_status()
            out.append((time.perf_counter() - start) * 1000)
    return out


async def in_process(n: int, rounds: int) -> None:
    """The same two requests with the ASGI stack called directly: the edge's cost in µs, and
    the revocation check on its own."""
    import timeit

    from _inprocess import http_scope, per_request_us, started_app, summary

    from stockflow.core.principal import TokenWatch
    from stockflow.users.tokens import TokenService

    limit = UNREACHABLE_LIMIT
    limits = {"free": limit, "pro": limit, "enterprise": limit}
    async with started_app(rate_limits=limits) as (container, app):
        tokens = container.port(TokenService)
        token, _ = tokens.issue(user_id="bench-user", email="bench@example.com", tier="pro",
                                permissions=permissions_for(Tier.PRO), session_id="bench")
        bearer = [(b"authorization", f"Bearer {token}".encode())]
        path = "/v1/quotes/NVDA"
        anon = await per_request_us(app, lambda: http_scope(path), n, rounds)
        authed = await per_request_us(app, lambda: http_scope(path, headers=bearer), n, rounds)
        principal = tokens.verify(token)
        refusal = container.port(TokenWatch).refusal
        check = min(timeit.repeat(lambda: refusal(principal), number=100_000, repeat=5)) * 10
    print(f"\nin process, {n:,} requests a round: GET {path} anonymous {summary(anon)}; "
          f"pro with Bearer {summary(authed)}; the revocation check alone {check:.3f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--logins", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating anonymous/authenticated runs; the best of each counts")
    parser.add_argument("--in-process", type=int, default=20_000, metavar="N",
                        help="requests per in-process round (0: skip)")
    args = parser.parse_args()
    if args.in_process:
        asyncio.run(in_process(args.in_process, rounds=5))
    limits = {"free": "100/minute", "pro": UNREACHABLE_LIMIT, "enterprise": UNREACHABLE_LIMIT}
    env = {"SF_API_KEY": ADMIN_KEY, "STOCKFLOW_AUTH__RATE_LIMITS": json.dumps(limits),
           "STOCKFLOW_AUTH__LOGIN_LIMIT_PER_ACCOUNT": UNREACHABLE_LIMIT,
           "STOCKFLOW_AUTH__LOGIN_LIMIT_PER_IP": UNREACHABLE_LIMIT}
    with Server(env) as srv:
        token = sign_in_as_pro(srv.base)
        bearer = {"Authorization": f"Bearer {token}"}
        url = srv.base + "/v1/quotes/NVDA"
        run = lambda path, **kw: wrk(srv.base + path, seconds=args.seconds,
                                     connections=args.connections, **kw)
        assert httpx.get(url, headers=bearer).status_code == 200
        run("/v1/quotes/NVDA", headers=bearer)  # warm caches and code paths
        raw = run(RAW_PATH)
        anon, authed = [], []
        for _ in range(args.rounds):  # alternated, so drift on a shared host hits both alike
            anon.append(run("/v1/quotes/NVDA"))
            authed.append(run("/v1/quotes/NVDA", headers=bearer))
        logins = login_latencies(srv.base, args.logins)
    ref = max(anon, key=lambda r: r["rps"])
    best = max(authed, key=lambda r: r["rps"])
    print(HEADER)
    print(row("raw ASGI (fixed bytes)", raw))
    print(row("GET /v1/quotes/NVDA anonymous", ref, raw))
    print(row("GET /v1/quotes/NVDA pro, Bearer", best, raw))
    runs = lambda rs: " / ".join(f"{r['rps']:,.0f}" for r in rs)
    print(f"\nauthenticated/anonymous = {best['rps'] / ref['rps']:.2f}x (goal >= 0.80x); "
          f"anonymous runs {runs(anon)}, authenticated {runs(authed)} req/s")
    q = statistics.quantiles(logins, n=100)
    print(f"POST /v1/auth/login over {len(logins)} sequential sign-ins: "
          f"p50 {statistics.median(logins):.1f} ms, p99 {q[98]:.1f} ms, "
          f"min {min(logins):.1f} ms")


if __name__ == "__main__":
    main()
