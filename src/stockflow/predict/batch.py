"""Training and batch prediction as plain functions of plain data, so any executor (inline,
local processes, a Dask cluster) can run them and must return the same numbers."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from stockflow.predict.forecast import MAX_DAYS, ForecastConfig, forecast
from stockflow.predict.gbm import FittedGbm, GbmForecaster
from stockflow.predict.jsonsafe import clean
from stockflow.predict.models import Path, describe, select, specified
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
        # LightGBM's OpenMP runtime is loaded before the limits apply, wherever the job runs:
        # loaded inside them (a fresh worker's first job) it changes arch's optimiser path,
        # and a worker's GARCH figures would depend on what that process had run before.
        import lightgbm  # noqa: F401
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return fn(*args, **kwargs)
    return wrapper


GBM_FILE = "lightgbm.txt"
SELECTED = ("arima", "ets")      # models whose order search training does once a week


@dataclass(frozen=True, slots=True)
class Trained:
    """What training registers: the metrics (weights, backtest) and the fitted model files
    with their metadata (for the booster: LightGBM's text model; offsets in `metrics`)."""

    metrics: dict
    files: dict[str, bytes]


@dataclass(frozen=True, slots=True)
class Stored:
    """A registered model as a batch job needs it: plain bytes and dicts, so it pickles to a
    worker process or a Dask worker as it is."""

    weights: dict[str, float]
    files: dict[str, bytes]
    models: dict[str, dict]


@single_threaded
def train(job: Job) -> Trained:
    """Weekly training: the full backtest; its weights and scores are the registered model,
    and the booster fitted on the whole window is kept as its model file."""
    fitted: dict = {}
    out = forecast(job.series, MAX_DAYS, job.config, keep=fitted)
    gbm = fitted.get(GbmForecaster.name)
    models: dict[str, dict] = {}
    if gbm is not None:
        models[GbmForecaster.name] = {"file": GBM_FILE, **gbm.meta()}
    for name in SELECTED:
        if out["weights"].get(name, 0.0) > 0 and (spec := select(name, job.series)):
            models[name] = spec
    metrics = clean({"ticker": job.ticker, "weights": out["weights"],
                     "backtest": out["backtest"], "skill": out["skill"], "mase": out["mase"],
                     "fitting": out["fitting"], "config": asdict(job.config),
                     "models": models})
    return Trained(metrics, {GBM_FILE: gbm.to_bytes()} if gbm is not None else {})


def stored_models(stored: Stored) -> dict[str, Any]:
    """What of the registered models serves again: the booster as it was trained, and the
    ARIMA order / ETS components training selected (re-estimated on the latest bars)."""
    out: dict[str, Any] = {name: specified(name, stored.models[name])
                           for name in SELECTED if name in stored.models}
    meta = stored.models.get(GbmForecaster.name)
    data = stored.files.get(GBM_FILE)
    if meta is not None and data is not None:
        out[GbmForecaster.name] = FittedGbm.from_stored(data, meta)
    return out


def reuse_notes(stored: Stored, reused: list[str]) -> dict[str, str]:
    return {name: "booster as trained" if name == GbmForecaster.name
            else describe(name, stored.models[name]) for name in reused}


def refit(series: DailySeries, days: int, weights: dict[str, float],
          fitted: dict[str, Any] | None = None) -> tuple[Path, list[str]]:
    """Blend the registered models with the registered weights on the latest bars: what
    training stored serves (`stored_models`), the other models are fitted again in full.
    → the path and the names of the models that used what was stored."""
    from stockflow.predict.forecast import default_models

    fitted = fitted or {}
    models = [m for m in default_models() if weights.get(m.name, 0.0) > 0]
    reused = [m.name for m in models if m.name in fitted and not series.is_constant]
    paths = [fitted[m.name].forecast(series, days) if m.name in reused
             else m.forecast(series, days) for m in models]
    w = np.array([weights[m.name] for m in models])
    return Path.blend(paths, w / w.sum()), reused


@single_threaded
def predict(job_and_model: tuple[Job, Stored]) -> list[dict]:
    """Daily batch: price paths for 1..7 days and the GARCH volatility path, as rows."""
    job, stored = job_and_model
    s = job.series
    path, _ = refit(s, MAX_DAYS, stored.weights, stored_models(stored))
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
