"""Predict's hot paths against the same work done in-process, in one run:

1. one price prediction with a registered model: `GET /v1/predict/price/AAPL?days=7` through
   the whole app (edge, auth, envelope) vs `batch.refit` on the same series and weights, with
   the models refitted on every request (cache off) and with the path cached for the bar;
2. batch predictions for 100 tickers: local processes (2) vs a 2-worker Dask cluster;
3. risk for one ticker with its VaR backtests: `GET /v1/analyze/risk/AAPL` vs the service's
   `risk_figures` on the same series.
The app is driven in-process over httpx's ASGI transport (no socket, no uvicorn): the ratio is
the app's own overhead. Run: .venv/bin/python bench/predict.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from stockflow.bootstrap import bootstrap
from stockflow.entrypoints.http import create_app
from stockflow.market.ports import MarketReader
from stockflow.market.tasks import InitialBackfill
from stockflow.predict import batch
from stockflow.predict.gbm import GbmForecaster
from stockflow.predict.models import select
from stockflow.predict.ports import InlineExecutor
from stockflow.predict.service import PredictService
from stockflow.settings import Settings

OPEN = {"anonymous_tier": "enterprise", "anonymous_rate_limit": "1000000/minute"}


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs) * 1000, q))


def line(name: str, xs: list[float], ref: list[float] | None = None) -> str:
    out = f"{name:34} p50 {pct(xs, 50):8.1f} ms  p95 {pct(xs, 95):8.1f} ms"
    return out + (f"  ratio p95 {pct(xs, 95) / pct(ref, 95):5.2f}x" if ref else "")


async def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t0)
    return out


async def alternate(a, b, rounds: int) -> tuple[list[float], list[float]]:
    """a and b in turn, so drift on a shared machine hits both alike."""
    xa, xb = [], []
    for _ in range(rounds):
        xa += await timed(a, 1)
        xb += await timed(b, 1)
    return xa, xb


def registered(series, weights: dict[str, float]) -> batch.Stored:
    """What weekly training registers for a ticker with these weights: the ARIMA order and
    ETS components it selected, and the booster when LightGBM has weight."""
    models: dict = {n: spec for n in batch.SELECTED
                    if weights.get(n, 0) > 0 and (spec := select(n, series))}
    files = {}
    if weights.get("lightgbm", 0) > 0:
        gbm = GbmForecaster().fit(series)
        models["lightgbm"], files[batch.GBM_FILE] = gbm.meta(), gbm.to_bytes()
    return batch.Stored(weights, files, models)


async def batch_runs(svc: PredictService, tickers: list[str], weights: dict[str, float]) -> None:
    from distributed import LocalCluster

    from stockflow.core.registry import build

    found = await svc.many(tickers)
    pairs = [(f"{t}#{k}", found[t]) for k in range(2) for t in tickers][:100]
    # Before: every model searched and fitted again each day. Now: training's selections.
    searched = [(batch.Job(n, s, svc.forecast_config), batch.Stored(weights, {}, {}))
                for n, s in pairs]
    by_ticker = {t: registered(s, weights) for t, s in found.items()}
    jobs = [(batch.Job(n, s, svc.forecast_config), by_ticker[n.split("#")[0]])
            for n, s in pairs]
    local = build("executor", "processes://", workers=2)
    cluster = await LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None, asynchronous=True)
    dask = build("executor", cluster.scheduler_address)
    try:
        for ex in (local, dask):
            await ex.map(batch.predict, jobs[:4])          # warm: spawn, imports, JIT
        times: dict[str, list[float]] = {}
        # Twice each, alternated, best of two: a worker's first jobs pay its imports and JIT.
        runs = (("local", local, jobs), ("dask", dask, jobs), ("local, searched", local,
                                                               searched))
        for name, ex, work in runs * 2:
            t0 = time.perf_counter()
            rows = await ex.map(batch.predict, work)
            times.setdefault(name, []).append(time.perf_counter() - t0)
            assert len(rows) == len(work)
        best_local, d = min(times["local"]), min(times["dask"])
        old = min(times["local, searched"])
        print(f"batch 100 tickers                  local {best_local:6.2f} s  dask(2) {d:6.2f} s"
              f"  ratio {d / best_local:5.2f}x")
        print(f"batch 100 tickers, every model searched again (before): local {old:6.2f} s"
              f"  registered selections {old / best_local:5.2f}x faster")
    finally:
        await local.close()
        await dask.close()
        await cluster.close()


async def main(rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    settings = Settings(data_dir=tmp, auth=OPEN, log={"level": "WARNING"},
                        services={"live_quotes": False},
                        simulator={"seed": 7, "backfill_years": 3, "backfill_minute_days": 1},
                        predict={"local_workers": 2})
    container = bootstrap(settings)
    app = create_app(container, manage_lifecycle=False)
    await container.start()
    try:
        await container.port(InitialBackfill).done.wait()
        tickers = [i.ticker for i in container.port(MarketReader).universe]
        svc = container.port(PredictService)
        svc.executor = InlineExecutor()    # train AAPL here: the batch runs compare executors
        await svc.train(["AAPL"])
        entry = await svc.registry.latest("price", "AAPL")
        weights = entry.metrics["weights"]
        stored = await svc.stored(entry)
        s = await svc.series("AAPL")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench") as client:
            async def api_price():
                r = await client.get("/v1/predict/price/AAPL?days=7")
                assert r.status_code == 200 and r.json()["data"]["source"].startswith("registry")

            async def raw_price():
                await asyncio.to_thread(batch.refit, s, 7, weights, batch.stored_models(stored))

            cache, svc.cache = svc.cache, None      # cold: every request refits the models
            await api_price()
            api, raw = await alternate(api_price, raw_price, rounds)
            print(line("price, registered model: raw", raw))
            print(line("price, registered, refit: API", api, raw))
            svc.cache = cache                       # warm: the path cached for this bar
            await api_price()
            print(line("price, registered, cached: API", await timed(api_price, rounds), raw))

            async def api_risk():
                assert (await client.get("/v1/analyze/risk/AAPL")).status_code == 200

            async def raw_risk():
                await asyncio.to_thread(svc.risk_figures, s, None)

            api, raw = await alternate(api_risk, raw_risk, max(3, rounds // 3))
            print(line("risk with backtests: raw", raw))
            print(line("risk with backtests: API", api, raw))
        print(f"models in the registered ensemble: {sorted(k for k, w in weights.items() if w)}")
        await batch_runs(svc, tickers, weights)
    finally:
        await container.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
