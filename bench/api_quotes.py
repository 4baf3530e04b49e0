"""bench/api_quotes: GET /v1/quotes/{ticker} and a 50-ticker batch against a raw ASGI endpoint
on the same server in the same run. Goals: single >= 0.6x raw, batch >= 0.35x raw."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import HEADER, RAW_PATH, Server, row


async def in_process(n: int, rounds: int) -> None:
    """The same two requests with the ASGI stack called directly (µs of CPU a request), through
    the fused edge and through the layered one (the same container), rounds alternating."""
    from _inprocess import http_scope, per_request_us, started_app, summary

    from stockflow.entrypoints.http import create_app

    async with started_app() as (container, app):
        layered = create_app(container, manage_lifecycle=False)
        layered.fused = False
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            companies = (await client.get("/v1/companies?limit=50")).json()["data"]
        universe = [c["ticker"] for c in companies]
        batch = ("tickers=" + ",".join(universe)).encode()
        figures: dict[tuple[str, str], list[float]] = {}
        for _ in range(rounds):
            for name, edge in (("fused", app), ("layered", layered)):
                for kind, scope, count in (("single", lambda: http_scope("/v1/quotes/NVDA"), n),
                                           ("batch", lambda: http_scope("/v1/quotes", batch),
                                            n // 5)):
                    figures.setdefault((name, kind), []).extend(
                        await per_request_us(edge, scope, count, 1))
    print()
    for name in ("fused", "layered"):
        print(f"in process, {name} edge: GET /v1/quotes/NVDA {summary(figures[name, 'single'])}; "
              f"GET /v1/quotes ({len(universe)} tickers) {summary(figures[name, 'batch'])}")


def anatomy(srv: Server, rounds: int, seconds: int, connections: int) -> None:
    """Where a quote request's cost lies inside the server: uvicorn's work for a quote-shaped
    answer (`/__shaped`), the app's work with its answer dropped (`/__app-only`, and its own
    thread CPU time per request), the whole request; rounds interleaved, medians."""
    paths = {"raw": RAW_PATH, "shaped": "/__shaped", "app-only": "/__app-only",
             "single": "/v1/quotes/NVDA"}
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in paths}
    app_us: list[float] = []
    for _ in range(rounds):
        for kind, path in paths.items():
            before = httpx.get(srv.base + "/__app-cpu").json()
            runs[kind].append(srv.wrk(path, seconds=seconds, connections=connections))
            after = httpx.get(srv.base + "/__app-cpu").json()
            if kind == "app-only":
                app_us.append((after["seconds"] - before["seconds"])
                              / max(after["requests"] - before["requests"], 1) * 1e6)
    ref = median_run(runs["raw"])
    print(f"\nanatomy of GET /v1/quotes/NVDA in the server\n{HEADER}")
    print(row("raw ASGI (fixed bytes)", ref))
    print(row("raw, answering a quote's 5 headers and 400 bytes", median_run(runs["shaped"]), ref))
    print(row("the app's work, its answer dropped, then raw", median_run(runs["app-only"]), ref))
    print(row("GET /v1/quotes/NVDA", median_run(runs["single"]), ref))
    for kind in paths:
        cpu = statistics.median(r["cpu_us"] for r in runs[kind])
        print(f"  {kind}: server CPU {cpu:.1f} µs a request (median, background work included)")
    print(f"  the app's own thread CPU time in the server: {statistics.median(app_us):.1f}"
          f" µs a request (median of {len(app_us)} runs)")


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
    parser.add_argument("--layered", action="store_true",
                        help="also a server with the fused edge off, rounds interleaved")
    parser.add_argument("--anatomy", action="store_true",
                        help="only the anatomy rounds: raw, quote-shaped raw, the app's work "
                        "with its answer dropped, the whole request")
    args = parser.parse_args()
    if args.in_process:
        asyncio.run(in_process(args.in_process, rounds=7))
    if not args.rounds:
        return
    if args.anatomy:
        with Server() as srv:
            srv.wrk("/v1/quotes/NVDA", seconds=args.seconds)  # warm caches and code paths
            anatomy(srv, args.rounds, args.seconds, args.connections)
        return
    servers = {"fused": Server()}
    if args.layered:
        servers["layered"] = Server({"STOCKFLOW_HTTP__FUSED_EDGE": "false"})
    with contextlib.ExitStack() as stack:
        for srv in servers.values():
            stack.enter_context(srv)
        first = next(iter(servers.values()))
        universe = httpx.get(first.base + "/v1/companies?limit=50").json()["data"]
        batch = ",".join(c["ticker"] for c in universe[:50])
        paths = {"raw": RAW_PATH, "single": "/v1/quotes/NVDA",
                 "batch": f"/v1/quotes?tickers={batch}"}
        for srv in servers.values():
            srv.wrk(paths["single"], seconds=args.seconds)  # warm caches and code paths
        # Interleaved short runs, each figure the median of its kind: on a shared machine a
        # burst of other work lands in one run, and then in any of the three, not always in
        # the one measured last.
        runs: dict[tuple[str, str], list[dict[str, float]]] = {}
        for _ in range(args.rounds):
            for name, srv in servers.items():
                for kind, path in paths.items():
                    runs.setdefault((name, kind), []).append(
                        srv.wrk(path, seconds=args.seconds, connections=args.connections))
    for name in servers:
        ref, single, many = (median_run(runs[name, kind]) for kind in paths)
        print(f"\n{name} edge\n{HEADER}")
        print(row("raw ASGI (fixed bytes)", ref))
        print(row("GET /v1/quotes/NVDA", single, ref))
        print(row(f"GET /v1/quotes ({len(universe)} tickers)", many, ref))
        print(f"single/raw = {single['rps'] / ref['rps']:.2f}x (goal >= 0.60x); "
              f"batch/raw = {many['rps'] / ref['rps']:.2f}x (goal >= 0.35x); medians of "
              f"{args.rounds} interleaved {args.seconds} s runs each")
        for kind in paths:
            rs = runs[name, kind]
            cpu = sorted(r["cpu_us"] for r in rs)[len(rs) // 2]
            rates = ", ".join(f"{r['rps']:,.0f}" for r in rs)
            print(f"  {kind} req/s: {rates}; "
                  f"server CPU {cpu:.1f} µs a request (median)")

if __name__ == "__main__":
    main()
