"""The signal engine's hot paths against raw references measured in the same run:

1. a 5-year daily backtest of one built-in strategy (trend): `GET /v1/signals/AAPL/backtest`
   through the whole app (edge, auth, envelope; httpx ASGI transport, no socket) against the
   same backtest called in-process on the service (same bars read, same look-ahead checks), and
   the engine's core (strategy + fills + metrics, no I/O, no checks) against a vectorised NumPy
   reference of the same strategy and against the same rules as an interpreted loop per bar;
2. signals at bar close for 50 → 5,000 generated instruments: the built-in strategies computed
   for every instrument's 300-bar series (compute only), and the whole `market.bar.closed`
   handler (read bars, compute, state in SQLite, announce on the in-process bus): time per bar
   close and how it grows with the universe.
Run: .venv/bin/python bench/signals.py [--rounds N] [--sizes 50,500,5000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import talib

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.bootstrap import bootstrap
from stockflow.contexts import modules
from stockflow.core import registry
from stockflow.core.catalogue import BarClosed
from stockflow.entrypoints.http import create_app
from stockflow.market.domain import AssetClass, Bar, Instrument, Interval
from stockflow.market.tasks import InitialBackfill
from stockflow.settings import Settings
from stockflow.signals import backtest, strategies
from stockflow.signals.config import SignalsSettings
from stockflow.signals.domain import Sentiment, Series
from stockflow.signals.live import LiveSignals
from stockflow.signals.repository import SqlSentimentStore, SqlSignalState, SqlStrategyStore
from stockflow.signals.service import SignalService, span
from stockflow.testing.fakes import FakeClock

OPEN = {"anonymous_tier": "enterprise", "anonymous_rate_limit": "1000000/minute"}
COST = backtest.Costs(1.0, 2.0)


def ms(xs: list[float], q: float = 50) -> float:
    return float(np.percentile(np.array(xs) * 1000, q))


async def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t0)
    return out


def sync_timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


# -- references of the trend strategy --------------------------------------------------------
def numpy_reference(o: np.ndarray, c: np.ndarray) -> float:
    """EMA(20) over SMA(50) long, else flat; filled next open; the same cost: total return."""
    side = talib.EMA(c, 20) > talib.SMA(c, 50)
    warm = ~np.isnan(talib.SMA(c, 50))
    target = np.where(warm, side.astype(float), 0.0)
    held = np.r_[0.0, target[:-1]]
    before = np.r_[0.0, held[:-1]]
    gap = np.r_[0.0, o[1:] / c[:-1] - 1]
    r = (1 + before * gap) * (1 - np.abs(held - before) * COST.rate) * (1 + held * (c / o - 1))
    return float(np.prod(r) - 1)


def loop_reference(o: np.ndarray, c: np.ndarray) -> float:
    """The same rules as an interpreted loop per bar (indicators updated bar by bar)."""
    k = 2 / 21
    ema, window, equity, held, before = None, [], 1.0, 0.0, 0.0
    target = 0.0
    for i in range(len(c)):
        if i:
            before, held = held, target
            equity *= (1 + before * (o[i] / c[i - 1] - 1)) * (1 - abs(held - before) * COST.rate)
            equity *= 1 + held * (c[i] / o[i] - 1)
        window.append(c[i])
        if len(window) > 50:
            window.pop(0)
        ema = (sum(c[:20]) / 20 if i == 19 else None) if ema is None else ema + k * (c[i] - ema)
        if ema is not None and i < 19:
            ema = None
        target = 1.0 if len(window) == 50 and ema is not None and ema > sum(window) / 50 else 0.0
    return equity - 1


def engine_core(s: Series) -> float:
    """The engine's own strategy (with strengths, confidences, rules) and fills: total return."""
    track = strategies.trend(s, Sentiment.empty())
    w = backtest.positions(track.action)[None, :]
    r, _ = backtest.bar_returns(s.open[None, :], s.close[None, :], w, COST.rate)
    return float(np.prod(1 + r) - 1)


def engine_metrics(s: Series) -> dict:
    track = strategies.trend(s, Sentiment.empty())
    w = backtest.positions(track.action)[None, :]
    return backtest.run(s.open[None, :], s.close[None, :], w, COST, "1d", 5.0)


async def backtest_part(rounds: int, tmp: Path) -> None:
    settings = Settings(data_dir=tmp, auth=OPEN, log={"level": "WARNING"},
                        services={"live_quotes": False},
                        simulator={"seed": 7, "backfill_years": 6, "backfill_minute_days": 1})
    container = bootstrap(settings)
    app = create_app(container, manage_lifecycle=False)
    await container.start()
    try:
        await container.port(InitialBackfill).done.wait()
        svc = container.port(SignalService)
        now = container.platform.clock.now()
        start = now - timedelta(days=365 * 5)
        params = {"strategy": "trend", "start": start.isoformat()}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench") as client:
            async def api():
                r = await client.get("/v1/signals/AAPL/backtest", params=params)
                assert r.status_code == 200, r.text

            async def inproc():
                await svc.backtest(svc.builtin("trend"), ["AAPL"], start, None)

            await api()
            xa, xb = [], []
            for _ in range(rounds):
                xa += await timed(api, 1)
                xb += await timed(inproc, 1)
        out = await svc.backtest(svc.builtin("trend"), ["AAPL"], start, None)
        s, _ = await svc.series("AAPL", "1d", start, now)
        print(f"5-year daily backtest (trend, AAPL, {out['bars']} bars, look-ahead checks on)")
        print(f"  API                  p50 {ms(xa):8.1f} ms  ratio to in-process "
              f"{ms(xa) / ms(xb):5.2f}x")
        print(f"  in-process service   p50 {ms(xb):8.1f} ms")
        o, c = s.open, s.close
        core = sync_timed(lambda: engine_core(s), rounds * 5)
        ref = sync_timed(lambda: numpy_reference(o, c), rounds * 5)
        loop = sync_timed(lambda: loop_reference(o, c), rounds)
        full = sync_timed(lambda: engine_metrics(s), rounds * 5)
        assert abs(engine_core(s) - numpy_reference(o, c)) < 1e-9
        assert abs(loop_reference(o, c) - numpy_reference(o, c)) < 1e-6
        print(f"  engine core          p50 {ms(core):8.3f} ms  ratio to NumPy reference "
              f"{ms(core) / ms(ref):5.2f}x")
        print(f"  NumPy reference      p50 {ms(ref):8.3f} ms")
        print(f"  engine core + every metric and buy-and-hold  p50 {ms(full):8.3f} ms")
        print(f"  per-bar Python loop  p50 {ms(loop):8.3f} ms  ratio to NumPy reference "
              f"{ms(loop) / ms(ref):5.1f}x")
    finally:
        await container.stop()


# -- bar close over a generated universe -----------------------------------------------------
class GeneratedMarket:
    """MarketReader over generated daily bars (random walks)."""

    def __init__(self, n: int, bars: int, end: datetime) -> None:
        rng = np.random.default_rng(n)
        self._inst, self._bars = {}, {}
        for i in range(n):
            t = f"G{i:05d}"
            self._inst[t] = Instrument(t, t, "XNAS", AssetClass.EQUITY, "USD", "", "", 0)
            c = 100 * np.exp(np.cumsum(rng.normal(0, 0.015, bars)))
            o = c * np.exp(rng.normal(0, 0.004, bars))
            self._bars[t] = [Bar(t, Interval.D1, end - timedelta(days=bars - k), float(o[k]),
                                 float(max(o[k], c[k]) * 1.01), float(min(o[k], c[k]) * 0.99),
                                 float(c[k]), 1000) for k in range(bars)]

    @property
    def universe(self):
        return list(self._inst.values())

    def instrument(self, raw):
        return self._inst[raw]

    async def bars(self, ticker, interval, start, end, limit, *, after=None):
        return [b for b in self._bars[ticker] if b.time >= start and b.time < end][:limit]


async def bar_close(n: int, tmp: Path) -> tuple[float, float, int]:
    """(compute s, handler s, signals announced) for one bar close of n instruments."""
    end = datetime(2026, 11, 30, tzinfo=UTC)
    market = GeneratedMarket(n, 301, end)
    db = SqlDatabase(f"sqlite:///{tmp / f'signals-{n}-{time.monotonic_ns()}.db'}")
    await db.connect()
    await db.migrate([m.migrations for m in modules() if m.migrations])
    bus = registry.build("bus", "memory://")
    await bus.start()
    svc = SignalService(market, SqlSentimentStore(db), SqlStrategyStore(db),
                        SignalsSettings(), FakeClock(end))
    live = LiveSignals(svc, SqlSignalState(db), bus, svc.clock)
    series = [Series.of(t, "1d", timedelta(days=1), market._bars[t][:-1]) for t in market._inst]
    t0 = time.perf_counter()
    for s in series:
        strategies.run_all(s, Sentiment.empty())
    compute = time.perf_counter() - t0
    events = [BarClosed(ticker=t, interval="1d", time=b.time.isoformat(), open=b.open,
                        high=b.high, low=b.low, close=b.close, volume=b.volume)
              for t, b in ((t, market._bars[t][-1]) for t in market._inst)]
    t0 = time.perf_counter()
    for e in events:
        await live.on_bar(e)
    handler = time.perf_counter() - t0
    await bus.stop()
    await db.close()
    return compute, handler, live.announced


async def universe_part(sizes: list[int], tmp: Path) -> None:
    print("signals at bar close (300 daily bars per instrument)")
    await bar_close(20, tmp)            # warm: imports, first TA-Lib calls, SQLite pages
    base: tuple[float, float] | None = None
    for n in sizes:
        compute, handler, announced = await bar_close(n, tmp)
        base = base or (compute / n, handler / n)
        print(f"  {n:5d} instruments  compute {compute * 1000:9.1f} ms "
              f"({compute / n * 1000:6.3f} ms each, {compute / n / base[0]:4.2f}x the first)"
              f"  handler {handler:7.2f} s ({handler / n * 1000:6.2f} ms each, "
              f"{handler / n / base[1]:4.2f}x the first)  announced {announced}")
    assert span(Interval.D1, 300) > timedelta(days=300)


async def main(rounds: int, sizes: list[int]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-signals-"))
    if sizes:
        await universe_part(sizes, tmp)
    await backtest_part(rounds, tmp)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--sizes", default="50,500,5000")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, [int(x) for x in args.sizes.split(",") if x]))
