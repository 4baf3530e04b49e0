"""bench/analysis: the analysis routes through the API against the same work done in process,
in the same run, on the same SQLite file.

The server is StockFlow as `stockflow up` builds it (embedded default: SQLite, in-memory bus
and cache) with 5 years of simulated daily bars, in a subprocess; the load is wrk on one
connection, so requests go one after another as the in-process calls do, and the client's
own JSON parsing (a Python client spends longer reading a 370 kB answer than the server
takes to make it) is not counted against the API. The in-process references open the server's own SQLite
file and run the same code the route runs, minus HTTP:
- 10 indicators over 5 years of daily bars: read the bars from storage + call TA-Lib
  (the issue's reference; goal API >= 0.5x its throughput);
- POST /v1/compare with 50 tickers (the 39 simulated equities + 11 ETFs and crypto, which
  come back under `errors`): CompareService with its 1-hour cache, as the server runs it
  (goal p95 < 500 ms, 10 % of the seed's 5 s);
- ratios of one company: AnalysisService.ratios (store + TTM + 84 ratios), computed every time,
  and the route's cached answer in process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import talib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import WRK_SCRIPT, Server
from providers import pct, timed  # the bench suite's timer: warm-up runs, then n timed

from stockflow.adapters.cache.memory import MemoryCache
from stockflow.adapters.providers.simulated.fundamentals import SimulatedFundamentals
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.analysis.compare import DEFAULT_METRICS, CompareService
from stockflow.analysis.domain import PeriodType, Version
from stockflow.analysis.metrics_cache import CachedRatios
from stockflow.analysis.repository import SqlStatementStore
from stockflow.analysis.service import AnalysisService
from stockflow.analysis.technical.params import parse_query
from stockflow.analysis.technical_service import TechnicalService, arrays
from stockflow.core.clock import SystemClock
from stockflow.market.domain import AssetClass, Interval
from stockflow.market.repository import SqlMarketStore
from stockflow.testing.simulated_market import StoreReader

TEN = "sma,ema,rsi,macd,bbands,atr,adx,stoch,obv,cci"


def line(name: str, ms: list[float], ref: list[float] | None = None) -> str:
    """p50/p95 and the throughput ratio against `ref` (mean time of ref / mean time here)."""
    p50, p95 = statistics.median(ms), pct(ms, 95)
    ratio = f"{statistics.fmean(ref) / statistics.fmean(ms):5.2f}x" if ref else "  ref"
    return f"| {name} | {p50:.2f} | {p95:.2f} | {1000 / statistics.fmean(ms):,.0f} | {ratio} |"


POST_SCRIPT = """
wrk.method = "POST"
wrk.body = BODY
wrk.headers["Content-Type"] = "application/json"
""" + WRK_SCRIPT


def api(url: str, seconds: int, body: dict | None = None) -> dict[str, float]:
    """wrk on one connection: throughput and latency of the route, checked to answer 200."""
    check = httpx.post(url, json=body) if body is not None else httpx.get(url)
    if check.status_code != 200:
        raise RuntimeError(f"{url}: {check.status_code} {check.text[:300]}")
    args = ["wrk", "-t1", "-c1", f"-d{seconds}s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT if body is None else
                POST_SCRIPT.replace("BODY", json.dumps(json.dumps(body)), 1))
    out = subprocess.run([*args, "-s", f.name, url], capture_output=True, text=True,
                         check=True).stdout
    os.unlink(f.name)
    r = json.loads(out.strip().splitlines()[-1])
    if r["errors"]:
        raise RuntimeError(f"{url}: {r['errors']} errors under load")
    return r | {"rps": r["requests"] / (r["duration_us"] / 1e6)}


def api_line(name: str, r: dict[str, float], ref: list[float]) -> str:
    ratio = r["rps"] / (1000 / statistics.fmean(ref))
    return (f"| {name} | {r['p50_us'] / 1000:.2f} | {r['p95_us'] / 1000:.2f} | "
            f"{r['rps']:,.0f} | {ratio:5.2f}x |")


async def wait_loaded(client: httpx.AsyncClient, tickers: list[str]) -> None:
    """The first-start load runs in the background: the deep history (the years of bars, the
    minute bars) and every company's statements. Measuring before it ends times the server's
    backfill writes, not the route, and may read a history still being filled."""
    deadline = time.monotonic() + 600
    while (await client.get("/ready")).json().get("data", {}).get("checks", {}).get(
            "deep_history") != "ready":
        if time.monotonic() > deadline:
            raise RuntimeError("deep history not loaded")
        await asyncio.sleep(1)
    for t in tickers:
        while (await client.get(f"/v1/financials/{t}", params={"limit": 1})).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"statements of {t} not loaded")
            await asyncio.sleep(0.5)


async def in_process(db_path: Path):
    db = SqlDatabase(f"sqlite:///{db_path}")
    await db.connect()
    store = SqlMarketStore(db)
    market = StoreReader(store, await store.list_instruments())
    clock = SystemClock()
    analysis = AnalysisService(SqlStatementStore(db), SimulatedFundamentals(42), market, clock)
    return db, market, analysis, TechnicalService(market, clock)


async def main(n: int, seconds: int) -> None:
    with Server({"STOCKFLOW_SIMULATOR__BACKFILL_YEARS": "5"}) as srv:
        async with httpx.AsyncClient(base_url=srv.base, timeout=60) as client:
            universe = (await client.get("/v1/companies", params={"limit": 100})).json()["data"]
            equities = [c["ticker"] for c in universe if c["asset_class"] == "equity"]
            others = [c["ticker"] for c in universe if c["asset_class"] != "equity"]
            fifty = (equities + others)[:50]
            await wait_loaded(client, equities)
            db, market, analysis, tech = await in_process(Path(srv.tmp) / "stockflow.db")
            try:
                await run(n, seconds, srv.base, fifty, market, analysis, tech)
            finally:
                await db.close()


async def run(n: int, seconds: int, base: str, fifty, market, analysis, tech) -> None:
    requests = parse_query(TEN, {})
    bars = await market.bars("AAPL", Interval.D1, None, None, 100_000)
    cols = arrays(bars)
    calls = [getattr(talib, r.spec.function) for r in requests]

    async def talib_alone():
        for r, fn in zip(requests, calls, strict=True):
            fn(*(cols[s] for s in r.spec.inputs), **r.params)

    async def read_and_talib():
        await tech.indicators("AAPL", requests, limit=len(bars))

    compare = CompareService(analysis, cache=MemoryCache())
    cold_compare = CompareService(analysis)
    ratios = CachedRatios(analysis, MemoryCache(), 3600)
    print(f"{len(bars)} daily bars of AAPL; compare {len(fifty)} tickers "
          f"({sum(market.instrument(t).asset_class is AssetClass.EQUITY for t in fifty)} "
          f"equities); {n} timed runs each after 20 warm-up runs\n")
    print("| work | p50 ms | p95 ms | calls/s | vs in-process |\n|---|---:|---:|---:|---:|")
    print(line("10 indicators, TA-Lib alone on arrays in memory", await timed(talib_alone, n)))
    ref = await timed(read_and_talib, n)
    print(line("10 indicators, in process: read bars + TA-Lib", ref))
    print(api_line("10 indicators, GET /v1/technical/AAPL/indicators", api(
        f"{base}/v1/technical/AAPL/indicators?indicators={TEN}&limit={len(bars)}", seconds),
        ref))
    ref = await timed(lambda: compare.compare(fifty, DEFAULT_METRICS), n)
    print(line("compare 50, in process, metrics from the 1-hour cache", ref))
    print(api_line("compare 50, POST /v1/compare", api(f"{base}/v1/compare", seconds,
                                                       {"tickers": fifty}), ref))
    cold = await timed(lambda: cold_compare.compare(fifty, DEFAULT_METRICS), max(3, n // 10))
    print(line("compare 50, in process, every metric computed (no cache)", cold))
    ref = await timed(lambda: analysis.ratios("AAPL", PeriodType.TTM, Version.RESTATED), n)
    print(line("ratios AAPL, in process: store + TTM + 84 ratios", ref))
    cached = await timed(lambda: ratios.json("AAPL", PeriodType.TTM, Version.RESTATED,
                                             None, 1), n)
    print(line("ratios AAPL, in process: the route's cached answer", cached))
    print(api_line("ratios AAPL, GET /v1/financials/AAPL/ratios (answered from its cache)",
                   api(f"{base}/v1/financials/AAPL/ratios", seconds), ref))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per route")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.seconds))
