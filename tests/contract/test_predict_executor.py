"""Executor contract: local processes and a real Dask cluster (worker processes) return the
same batch predictions as running them inline."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest
from distributed import LocalCluster

from stockflow.adapters.executor.dask.executor import make_executor as make_dask
from stockflow.adapters.executor.processes.executor import make_executor as make_processes
from stockflow.predict import batch
from stockflow.predict.forecast import ForecastConfig
from stockflow.predict.gbm import GbmForecaster
from stockflow.predict.ports import Executor, InlineExecutor
from stockflow.predict.series import make_series

WEIGHTS = {"naive": 0.2, "drift": 0.2, "theta": 0.2, "ets": 0.2, "lightgbm": 0.2}


def _jobs() -> list[tuple[batch.Job, batch.Stored]]:
    """Three tickers; the first two ship a stored booster (fitted on all but the last 10 bars,
    as a week-old training would), the third has none and refits it."""
    out = []
    for i, ticker in enumerate(("AAA", "BBB", "CCC")):
        rng = np.random.default_rng(i)
        c = 50 * np.exp(np.cumsum(0.01 * rng.standard_normal(300)))
        s = make_series(c, high=c * 1.01, low=c * 0.99, volume=rng.integers(1000, 5000, 300))
        stored = batch.Stored(WEIGHTS, {}, {})
        if i < 2:
            gbm = GbmForecaster().fit(s.window(0, len(s) - 10))
            stored = batch.Stored(WEIGHTS, {batch.GBM_FILE: gbm.to_bytes()},
                                  {"lightgbm": gbm.meta()})
        out.append((batch.Job(ticker, s, ForecastConfig(origins=3)), stored))
    return out


@pytest.fixture(params=["processes", "dask"])
async def executor(request) -> AsyncIterator[Executor]:
    if request.param == "processes":
        ex = make_processes(workers=2)
        try:
            yield ex
        finally:
            await ex.close()
        return
    cluster = await LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None, asynchronous=True)
    ex = make_dask(cluster.scheduler_address)
    try:
        yield ex
    finally:
        await ex.close()
        await cluster.close()


@pytest.mark.slow
async def test_batch_predictions_equal_inline(executor) -> None:
    jobs = _jobs()
    local = await InlineExecutor().map(batch.predict, jobs)
    remote = await executor.map(batch.predict, jobs)
    assert [len(r) for r in remote] == [14, 14, 14]      # 7 price + 7 volatility rows each
    prices = lambda rows: [[r for r in t if r["kind"] == "price"] for t in rows]
    assert prices(remote) == prices(local)
    # GARCH volatility: equal to the optimiser's tolerance. On a near-flat likelihood (alpha ~ 0)
    # arch's SLSQP path differs in the last digits between a Dask worker and this process.
    vol = lambda rows: [r["value"] for t in rows for r in t if r["kind"] == "volatility"]
    np.testing.assert_allclose(vol(remote), vol(local), rtol=2e-3)
    assert await executor.map(abs, []) == []
    assert await executor.map(abs, [-3, 2, -1]) == [3, 2, 1]
