"""Rolling-origin backtests: each model refitted at every origin on the bars before it only.

MASE here is out-of-sample relative MAE: the model's mean absolute error over all origins and
steps divided by the naive (random-walk) forecast's over the same origins and steps, so naive
scores exactly 1 and below 1 means the random walk was beaten on this very series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from stockflow.predict.models import Forecaster, Path
from stockflow.predict.series import DailySeries, too_few


@dataclass(frozen=True, slots=True)
class Origins:
    """Where the backtest cuts the series: origin o means 'fit on bars [0, o)'."""

    cuts: np.ndarray           # ascending
    horizon: int

    @classmethod
    def plan(cls, n: int, horizon: int, count: int, step: int, min_obs: int,
             min_count: int = 3) -> Origins:
        last = n - horizon
        cuts = [o for o in range(last, last - step * count, -step) if o >= min_obs]
        if len(cuts) < min_count:
            needed = min_obs + horizon + step * (min_count - 1)
            raise too_few(f"a backtest with {min_count} origins", needed, n)
        return cls(np.array(sorted(cuts)), horizon)


@dataclass(slots=True)
class ModelRun:
    """One model's forecasts at every origin, beside what happened."""

    name: str
    paths: list[Path]
    actual: np.ndarray         # (origins, horizon)
    errors: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        means = np.array([p.mean for p in self.paths])
        self.errors = np.abs(means - self.actual)

    def covered(self, level: int) -> np.ndarray:
        lo = np.array([getattr(p, f"lo{level}") for p in self.paths])
        hi = np.array([getattr(p, f"hi{level}") for p in self.paths])
        return (self.actual >= lo) & (self.actual <= hi)


def run(model: Forecaster, s: DailySeries, origins: Origins) -> ModelRun:
    h = origins.horizon
    paths = [model.forecast(s.head(int(o)), h) for o in origins.cuts]
    actual = np.array([s.close[o:o + h] for o in origins.cuts])
    return ModelRun(model.name, paths, actual)


def _ratio(a: float, b: float) -> float | None:
    if b > 0:
        return a / b
    return 1.0 if a == 0 else None   # a constant series: naive is perfect, equal is "no skill"


def score(r: ModelRun, naive: ModelRun) -> dict:
    """MASE overall and per step, interval coverage at 80 % and 95 %, number of origins."""
    h = r.errors.shape[1]
    return {
        "model": r.name,
        "mase": _ratio(float(r.errors.mean()), float(naive.errors.mean())),
        "mase_by_day": [_ratio(float(r.errors[:, k].mean()), float(naive.errors[:, k].mean()))
                        for k in range(h)],
        "coverage_80": float(r.covered(80).mean()),
        "coverage_95": float(r.covered(95).mean()),
        "origins": int(r.errors.shape[0]),
    }


def skill_weights(runs: list[ModelRun], cuts: np.ndarray, at: int, window: int) -> np.ndarray:
    """Inverse-MSE weights from the last `window` origins whose outcomes were known at bar `at`
    (origin o's last target is bar o + h - 1); equal weights while none are."""
    h = runs[0].actual.shape[1]
    known = np.flatnonzero(cuts + h <= at)[-window:]
    if len(known) == 0:
        return np.full(len(runs), 1.0 / len(runs))
    mse = np.array([float(np.mean(r.errors[known] ** 2)) for r in runs])
    inv = 1.0 / np.maximum(mse, 1e-12)
    return inv / inv.sum()


def ensemble_run(runs: list[ModelRun], origins: Origins, window: int) -> ModelRun:
    """The ensemble replayed honestly: at each origin it blends with weights known there."""
    cuts = origins.cuts
    paths = [Path.blend([r.paths[i] for r in runs], skill_weights(runs, cuts, int(o), window))
             for i, o in enumerate(cuts)]
    return ModelRun("ensemble", paths, runs[0].actual)
