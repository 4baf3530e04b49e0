"""Price forecasts 1–7 days with their own rolling-origin backtest and a time budget.

The answer is the skill-weighted ensemble of whichever candidates fitted within the budget. It
is chosen in advance, not picked as the best backtest score, so its reported MASE is not
flattered by selection on the very origins it is scored on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stockflow.core.problems import invalid
from stockflow.predict import backtest as bt
from stockflow.predict.gbm import GbmForecaster
from stockflow.predict.models import Forecaster, Path, statsforecast_models
from stockflow.predict.series import DailySeries, too_few

MAX_DAYS = 7


@dataclass(frozen=True, slots=True)
class ForecastConfig:
    origins: int = 20            # backtest origins
    step: int = 5                # bars between origins
    skill_window: int = 10       # recent origins the ensemble weights look at
    budget_seconds: float = 20.0


def default_models() -> list[Forecaster]:
    """Cheapest first, so a tight budget still yields the baselines."""
    return [*statsforecast_models(), GbmForecaster(horizon=MAX_DAYS)]


def _day_rows(path: Path, last: float) -> list[dict]:
    return [{"day": k + 1, "point": float(path.mean[k]),
             "lo_80": float(path.lo80[k]), "hi_80": float(path.hi80[k]),
             "lo_95": float(path.lo95[k]), "hi_95": float(path.hi95[k]),
             "change_pct": float(path.mean[k] / last - 1.0) * 100.0}
            for k in range(len(path.mean))]


def _fit_within(models: Sequence[Forecaster], s: DailySeries, origins: bt.Origins, days: int,
                budget: float, monotonic: Callable[[], float], keep: dict | None = None):
    """Backtest and fit each model while the budget lasts; naive always runs (it is the scale)."""
    start = monotonic()
    runs, live, skipped = [], [], []
    for m in models:
        if m.name != "naive" and monotonic() - start > budget:
            skipped.append({"model": m.name, "reason": "time budget spent"})
            continue
        if len(s) - origins.horizon < m.min_obs:   # too short for this one: say so, go on
            skipped.append({"model": m.name, "reason": f"needs {m.min_obs + origins.horizon} "
                            f"observations, got {len(s)}"})
            continue
        model_cuts = bt.Origins(origins.cuts[origins.cuts >= m.min_obs], origins.horizon)
        if len(model_cuts.cuts) < len(origins.cuts):
            skipped.append({"model": m.name, "reason": "too few bars at the earliest origins"})
            continue
        runs.append(bt.run(m, s, model_cuts))
        fit = getattr(m, "fit", None)
        if keep is not None and fit is not None and not s.is_constant:
            # A model that can be stored (the booster): its live fit is kept for the registry.
            keep[m.name] = fitted = fit(s)
            live.append(fitted.forecast(s, days))
        else:
            live.append(m.forecast(s, days))
    return runs, live, skipped, monotonic() - start


def forecast(s: DailySeries, days: int, config: ForecastConfig = ForecastConfig(),
             models: Sequence[Forecaster] | None = None,
             monotonic: Callable[[], float] = time.monotonic, keep: dict | None = None) -> dict:
    """Point forecast and 80/95 % intervals per day, the backtest and what was used; with
    `keep`, the live fits of storable models (by name) are left in it."""
    if not 1 <= days <= MAX_DAYS:
        raise invalid(f"days must be between 1 and {MAX_DAYS}, got {days}",
                      [{"field": "days", "min": 1, "max": MAX_DAYS}])
    models = list(models or default_models())
    if not models or models[0].name != "naive":
        raise ValueError("the first model must be naive: every score is relative to it")
    if len(s) < 2:
        raise too_few("a forecast", models[0].min_obs + MAX_DAYS, len(s))
    origins = bt.Origins.plan(len(s), MAX_DAYS, config.origins, config.step, models[0].min_obs)
    runs, live, skipped, elapsed = _fit_within(models, s, origins, days, config.budget_seconds,
                                               monotonic, keep)
    ens = bt.ensemble_run(runs, origins, config.skill_window)
    weights = bt.skill_weights(runs, origins.cuts, len(s), config.skill_window)
    path = Path.blend(live, weights)
    reports = [bt.score(r, runs[0]) for r in [*runs, ens]]
    chosen = reports[-1]
    mase = chosen["mase"]
    return {
        "days": _day_rows(path, float(s.close[-1])),
        "last_close": float(s.close[-1]),
        "model": "ensemble",
        "skill": "none" if mase is None or mase >= 1.0 else "some",
        "mase": mase,
        "weights": {r.name: float(w) for r, w in zip(runs, weights, strict=True)},
        "backtest": reports,
        "fitting": {"used": [r.name for r in runs], "skipped": skipped,
                    "budget_seconds": config.budget_seconds, "elapsed_seconds": elapsed},
        "observations": len(s),
        "constant_series": s.is_constant,
        "gaps": s.gaps(),
    }
