"""bench/api_quotes: GET /v1/quotes/{ticker} and a 50-ticker batch against a raw ASGI endpoint
on the same server in the same run. Goals: single >= 0.6x raw, batch >= 0.35x raw."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import HEADER, RAW_PATH, Server, row, wrk


async def in_process(n: int, rounds: int) -> None:
    """The same two requests with the ASGI stack called directly (µs of CPU a request)."""
    from _inprocess import http_scope, per_request_us, started_app, summary

    async with started_app() as (_, app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            companies = (await client.get("/v1/companies?limit=50")).json()["data"]
        universe = [c["ticker"] for c in companies]
        batch = ("tickers=" + ",".join(universe)).encode()
        single = await per_request_us(app, lambda: http_scope("/v1/quotes/NVDA"), n, rounds)
        many = await per_request_us(app, lambda: http_scope("/v1/quotes", batch), n // 5,
                                    rounds)
    print(f"\nin process: GET /v1/quotes/NVDA {summary(single)}; "
          f"GET /v1/quotes ({len(universe)} tickers) {summary(many)}")


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run of median throughput (its latencies with it)."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=3, help="length of each timed run")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of raw, single, batch, interleaved (0: in process only)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--in-process", type=int, default=20_000, metavar="N",
                        help="requests per in-process round (0: skip)")
    args = parser.parse_args()
    if args.in_process:
        asyncio.run(in_process(args.in_process, rounds=7))
    if not args.rounds:
        return
    with Server() as srv:
        universe = httpx.get(srv.base + "/v1/companies?limit=50").json()["data"]
        batch = ",".join(c["ticker"] for c in universe[:50])
        paths = {"raw": RAW_PATH, "single": "/v1/quotes/NVDA",
                 "batch": f"/v1/quotes?tickers={batch}"}
        run = lambda path: wrk(srv.base + path, seconds=args.seconds,
                               connections=args.connections)
        run(paths["single"])  # warm caches and code paths
        # Interleaved short runs, each figure the median of its kind: on a shared machine a
        # burst of other work lands in one run, and then in any of the three, not always in
        # the one measured last.
        runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in paths}
        for _ in range(args.rounds):
            for kind, path in paths.items():
                runs[kind].append(run(path))
    ref, single, many = (median_run(runs[kind]) for kind in paths)
    print(HEADER)
    print(row("raw ASGI (fixed bytes)", ref))
    print(row("GET /v1/quotes/NVDA", single, ref))
    print(row(f"GET /v1/quotes ({len(universe)} tickers)", many, ref))
    spread = {kind: ", ".join(f"{r['rps']:,.0f}" for r in rs) for kind, rs in runs.items()}
    print(f"\nsingle/raw = {single['rps'] / ref['rps']:.2f}x (goal >= 0.60x); "
          f"batch/raw = {many['rps'] / ref['rps']:.2f}x (goal >= 0.35x); medians of "
          f"{args.rounds} interleaved {args.seconds} s runs each")
    for kind, text in spread.items():
        print(f"  {kind} req/s: {text}")


if __name__ == "__main__":
    main()
