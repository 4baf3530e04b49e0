"""Training and batch prediction as plain functions of plain data, so any executor (inline,
local processes, a Dask cluster) can run them and must return the same numbers."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import numpy as np

from stockflow.predict.forecast import MAX_DAYS, ForecastConfig, forecast
from stockflow.predict.jsonsafe import clean
from stockflow.predict.models import Path
from stockflow.predict.series import DailySeries
from stockflow.predict.volatility import fit_garch, garch_path

FEATURES = ("close", "open", "high", "low", "volume")


@dataclass(frozen=True, slots=True)
class Job:
    ticker: str
    series: DailySeries
    config: ForecastConfig


def single_threaded(fn):
    """Run with one BLAS/OpenMP thread: executors run jobs side by side (more threads would
    oversubscribe the cores), and Dask workers default to one thread, so every executor must,
    or an optimiser's floating-point path - and its answer - would depend on where it ran."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return fn(*args, **kwargs)
    return wrapper


@single_threaded
def train(job: Job) -> dict:
    """Weekly training: the full backtest; its weights and scores are the registered model."""
    out = forecast(job.series, MAX_DAYS, job.config)
    return clean({"ticker": job.ticker, "weights": out["weights"], "backtest": out["backtest"],
                  "skill": out["skill"], "mase": out["mase"], "fitting": out["fitting"],
                  "config": asdict(job.config)})


def refit(series: DailySeries, days: int, weights: dict[str, float]) -> Path:
    """Fit the registered models on the latest bars and blend with the registered weights."""
    from stockflow.predict.forecast import default_models

    models = [m for m in default_models() if weights.get(m.name, 0.0) > 0]
    paths = [m.forecast(series, days) for m in models]
    w = np.array([weights[m.name] for m in models])
    return Path.blend(paths, w / w.sum())


@single_threaded
def predict(job_and_weights: tuple[Job, dict[str, float]]) -> list[dict]:
    """Daily batch: price paths for 1..7 days and the GARCH volatility path, as rows."""
    job, weights = job_and_weights
    s = job.series
    path = refit(s, MAX_DAYS, weights)
    rows = [{"ticker": job.ticker, "kind": "price", "horizon": k + 1,
             "value": float(path.mean[k]), "lower": float(path.lo95[k]),
             "upper": float(path.hi95[k])} for k in range(MAX_DAYS)]
    r = s.log_returns
    if len(r) > 100 and float(np.std(r)) > 0:
        var = garch_path(fit_garch(r, "garch"), MAX_DAYS)
        rows += [{"ticker": job.ticker, "kind": "volatility", "horizon": k + 1,
                  "value": float(np.sqrt(v)), "lower": None, "upper": None}
                 for k, v in enumerate(var.tolist())]
    return clean(rows)
