"""bench/providers: what failover adds to a quote, and what a cached quote costs once real
providers are wired, each against a reference measured in the same run.

1. Failover latency. One quote through the equity chain (Polygon, then Yahoo) built as
   bootstrap builds it, against a local vendor server (bench/_vendor.py) that answers with the
   vendors' own fixture bodies: primary up; primary down with its breaker closed (every call
   fails over); primary down with its breaker open (skipped). Reference: one raw httpx GET of
   the same Yahoo body on a pooled client.
2. Cache hits. GET /v1/quotes/AAPL through the real server with providers wired (every request
   after the first is a cache hit), against the same request on the simulated default that
   bench/api_quotes measures, and the raw endpoint of each server.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import HEADER, RAW_PATH, Server, free_port, row, wrk

from stockflow.core.clock import SystemClock
from stockflow.market.providers import build_sources
from stockflow.settings import Settings

HERE = Path(__file__).resolve().parent


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def timed(fn, n: int) -> list[float]:
    for _ in range(20):
        await fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def vendor_settings(base: str, threshold: int) -> Settings:
    return Settings(providers={"polygon": {"api_key": "bench", "base_url": base},
                               "yahoo": {"enabled": True, "base_url": base}},
                    failover={"retries": 0, "max_jump_pct": None,
                              "breaker": {"failure_threshold": threshold,
                                          "reset_timeout": 3600}})


async def failover_latency(base: str, n: int) -> list[tuple[str, list[float]]]:
    async with httpx.AsyncClient(base_url=base) as raw:
        async def raw_get() -> None:
            (await raw.get("/v8/finance/chart/AAPL", params={"range": "1d"})).json()

        results = [("raw httpx GET (Yahoo body)", await timed(raw_get, n))]
        for label, down, threshold in (("primary up (Polygon answers)", False, 10**9),
                                       ("primary down, breaker closed (fails over)", True, 10**9),
                                       ("primary down, breaker open (skipped)", True, 1)):
            await raw.post(f"/__primary/{'down' if down else 'up'}")
            from stockflow.adapters.providers.simulated import SimulatedMarketProvider
            from stockflow.market.calendar import MarketCalendars

            clock = SystemClock()
            sim = SimulatedMarketProvider(seed=1, calendars=MarketCalendars(), clock=clock)
            sources = build_sources(vendor_settings(base, threshold), clock=clock,
                                    simulated=sim)
            chain = sources.chains["equity"]
            # No limiter in the way: this measures the chain, not the vendors' quotas.
            chain.limiters.clear()

            async def quote(chain=chain) -> None:
                await chain.quote("AAPL")

            results.append((label, await timed(quote, n)))
            await sources.close()
        await raw.post("/__primary/up")
    return results


def cache_hits(vendor_base: str, seconds: int) -> None:
    live_env = {"STOCKFLOW_PROVIDERS__POLYGON__API_KEY": "bench",
                "STOCKFLOW_PROVIDERS__POLYGON__BASE_URL": vendor_base,
                "STOCKFLOW_PROVIDERS__YAHOO__ENABLED": "true",
                "STOCKFLOW_PROVIDERS__YAHOO__BASE_URL": vendor_base,
                "STOCKFLOW_SIMULATOR__BACKFILL_ON_START": "false"}
    rows = []
    for label, env in (("simulated default", {}), ("providers wired", live_env)):
        with Server(env) as srv:
            run = lambda path, base=srv.base: wrk(base + path, seconds=seconds)
            run("/v1/quotes/AAPL")  # the first request fills the cache; the rest are hits
            raw = run(RAW_PATH)
            hit = run("/v1/quotes/AAPL")
            rows.append((label, raw, hit))
    print("\n### Cache hits: GET /v1/quotes/AAPL\n")
    print(HEADER)
    for label, raw, hit in rows:
        print(row(f"raw ASGI ({label} server)", raw))
        print(row(f"GET /v1/quotes/AAPL, {label}", hit, raw))
    (_, sim_raw, sim_hit), (_, live_raw, live_hit) = rows
    print(f"\nproviders wired vs simulated default: {live_hit['rps'] / sim_hit['rps']:.2f}x "
          f"req/s; vs their raw: {live_hit['rps'] / live_raw['rps']:.2f}x and "
          f"{sim_hit['rps'] / sim_raw['rps']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=400, help="quotes per latency scenario")
    parser.add_argument("--seconds", type=int, default=6, help="wrk seconds per endpoint")
    parser.add_argument("--skip-http", action="store_true", help="latency part only")
    args = parser.parse_args()
    port = free_port()
    vendor = subprocess.Popen([sys.executable, str(HERE / "_vendor.py"), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/v8/finance/chart/AAPL", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        results = asyncio.run(failover_latency(base, args.calls))
        ref = statistics.median(results[0][1])
        print("### Failover latency: one quote through the equity chain\n")
        print("| scenario | p50 ms | p99 ms | p50 vs raw GET |\n|---|---:|---:|---:|")
        for label, ms in results:
            print(f"| {label} | {statistics.median(ms):.2f} | {pct(ms, 99):.2f} "
                  f"| {statistics.median(ms) / ref:.2f}x |")
        up = statistics.median(results[1][1])
        down = statistics.median(results[2][1])
        print(f"\nfailover adds {down - up:+.2f} ms at p50 with the breaker closed "
              f"({down / up:.2f}x the primary-up quote); with it open, "
              f"{statistics.median(results[3][1]) - up:+.2f} ms")
        if not args.skip_http:
            cache_hits(base, args.seconds)
    finally:
        vendor.terminate()
        vendor.wait(timeout=10)


if __name__ == "__main__":
    main()
