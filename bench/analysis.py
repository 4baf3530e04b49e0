"""bench/analysis: the analysis context in process, each use case against its raw reference in
the same run. 10 indicators over 5 years of daily bars (service: read bars from SQLite + TA-Lib;
raw: TA-Lib on arrays already in memory), ratios for one company (service: statements from the
store + TTM + 84 ratios; raw: the ratio computation alone), and a comparison of every equity.
The HTTP rows join when the routes exist; the goals are in the issue (API >= 0.5x in-process)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import talib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from providers import pct, timed  # the bench suite's timer: warm-up runs, then n timed

from stockflow.adapters.cache.memory import MemoryCache
from stockflow.adapters.providers.simulated.fundamentals import SimulatedFundamentals
from stockflow.adapters.providers.simulated.universe import default_universe
from stockflow.analysis.compare import CompareService
from stockflow.analysis.domain import PeriodType, Version
from stockflow.analysis.periods import year_before
from stockflow.analysis.ports import InMemoryStatementStore
from stockflow.analysis.ratios.compute import compute
from stockflow.analysis.service import AnalysisService
from stockflow.analysis.technical.params import parse_query
from stockflow.analysis.technical_service import TechnicalService, arrays
from stockflow.market.domain import AssetClass, Interval
from stockflow.testing.fakes import FakeClock
from stockflow.testing.simulated_market import simulated_market_store

NOW = datetime(2026, 1, 2, 23, 0, tzinfo=UTC)
TEN = "sma,ema,rsi,macd,bbands,atr,adx,stoch,obv,cci"


def line(name: str, ms: list[float], ref: list[float] | None = None) -> str:
    p50, p95 = statistics.median(ms), pct(ms, 95)
    ratio = f"{statistics.median(ref) / p50:6.2f}x" if ref else "   ref"
    return f"{name:52} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  {ratio}"


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        equities = [x.ticker for x in default_universe()
                    if x.instrument.asset_class is AssetClass.EQUITY]
        db, market = await simulated_market_store(Path(tmp) / "bench.db", NOW,
                                                  [*equities, "SPY"], 5 * 365)
        clock = FakeClock(NOW)
        analysis = AnalysisService(InMemoryStatementStore(), SimulatedFundamentals(42), market,
                                   clock)
        tech = TechnicalService(market, FakeClock(NOW))
        requests = parse_query(TEN, {})
        bars = await market.bars("AAPL", Interval.D1, None, None, 100_000)
        cols = arrays(bars)
        raw_calls = [getattr(talib, r.spec.function) for r in requests]

        async def raw_indicators():
            for r, fn in zip(requests, raw_calls, strict=True):
                fn(*(cols[s] for s in r.spec.inputs), **r.params)

        async def service_indicators():
            await tech.indicators("AAPL", requests, limit=len(bars))

        series = await analysis.periods("AAPL", PeriodType.TTM, Version.RESTATED)
        price = await analysis.price("AAPL")

        async def raw_ratios():
            compute(series[-1], year_before(series[-1], series), price)

        async def service_ratios():
            await analysis.ratios("AAPL")

        compare = CompareService(analysis)
        cached = CompareService(analysis, cache=MemoryCache())
        await compare.compare(equities)          # warm: every company's statements stored

        async def service_compare():
            await compare.compare(equities)

        async def cached_compare():
            await cached.compare(equities)

        print(f"{len(bars)} daily bars; {len(equities)} equities; {n} runs each\n")
        ref = await timed(raw_indicators, n)
        print(line("10 indicators, TA-Lib alone on in-memory arrays", ref))
        # The in-process reference for the API: read the bars + call TA-Lib.
        print(line("10 indicators, bars from SQLite + TA-Lib (service)",
                   await timed(service_indicators, n), ref))
        ref = await timed(raw_ratios, n)
        print(line("84 ratios, computation only", ref))
        print(line("84 ratios, store + TTM + ratios (service)", await timed(service_ratios, n),
                   ref))
        cold = await timed(service_compare, max(5, n // 5))
        print(line(f"compare {len(equities)} tickers, metrics computed", cold))
        print(line(f"compare {len(equities)} tickers, metrics from the 1-hour cache",
                   await timed(cached_compare, n), cold))
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    asyncio.run(main(parser.parse_args().runs))
