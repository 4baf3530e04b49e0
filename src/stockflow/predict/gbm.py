"""A LightGBM forecaster on lagged returns, volatility, range and volume features.

Direct multi-horizon: one model per fit, with the horizon as a feature and the h-day log return
as target, so no step feeds on its own prediction. Intervals come from the centred empirical
quantiles of h-day returns in the training window: the trees give a conditional mean, not a
distribution, and the backtest's coverage says how well that works.

A fit is a `FittedGbm`: the booster in LightGBM's own text model format (portable across
machines and LightGBM builds that read it, no pickle) and the interval offsets of its training
window. Weekly training stores it in the model registry; forecasts then apply it to the latest
bars' features instead of growing 150 new trees for each answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from stockflow.predict.models import Path
from stockflow.predict.series import DailySeries

WARMUP = 20          # the longest feature window
LAGS = 5
QUANTILES = (0.025, 0.10, 0.90, 0.975)
FEATURE_NAMES = (*(f"return_lag{k}" for k in range(LAGS)), "mean_return_5", "mean_return_20",
                 "volatility_5", "volatility_20", "log_range", "relative_log_volume", "horizon")


def _rolling(x: np.ndarray, w: int, fn) -> np.ndarray:
    out = np.full(len(x), np.nan)
    if len(x) >= w:
        win = np.lib.stride_tricks.sliding_window_view(x, w)
        out[w - 1:] = fn(win, axis=1)
    return out


def features(s: DailySeries, extra: Callable[[DailySeries], np.ndarray] | None = None
             ) -> np.ndarray:
    """One row per bar t, from bars <= t only: the row of the last bar is the live one."""
    lc = np.log(s.close)
    r = np.concatenate([[0.0], np.diff(lc)])
    cols = [np.concatenate([np.full(k, np.nan), r[:len(r) - k]]) for k in range(LAGS)]
    cols += [_rolling(r, 5, np.mean), _rolling(r, 20, np.mean),
             _rolling(r, 5, np.std), _rolling(r, 20, np.std),
             np.log(s.high / s.low)]
    lv = np.log1p(s.volume)
    cols.append(lv - _rolling(lv, 20, np.mean))
    x = np.column_stack(cols)
    return x if extra is None else np.column_stack([x, extra(s)])


class GbmForecaster:
    name = "lightgbm"

    def __init__(self, horizon: int = 7, min_train_rows: int = 60, seed: int = 7,
                 extra: Callable[[DailySeries], np.ndarray] | None = None) -> None:
        self.horizon = horizon
        self.min_obs = WARMUP + horizon + min_train_rows
        self.seed = seed
        self.extra = extra       # more feature columns per bar (hourly features), NaN = missing

    def _params(self) -> dict:
        return {"objective": "regression", "n_estimators": 150, "learning_rate": 0.05,
                "num_leaves": 15, "min_child_samples": 20, "subsample": 0.8,
                "subsample_freq": 1, "colsample_bytree": 0.8, "random_state": self.seed,
                "n_jobs": 1, "verbose": -1, "deterministic": True}

    def fit(self, s: DailySeries) -> FittedGbm:
        """The booster on every bar of `s` for horizons 1..self.horizon, and the offsets."""
        from lightgbm import LGBMRegressor

        x, lc = features(s, self.extra), np.log(s.close)
        n = len(lc)
        rows, targets = [], []
        for k in range(1, self.horizon + 1):
            t = np.arange(WARMUP, n - k)
            rows.append(np.column_stack([x[t], np.full(len(t), k)]))
            targets.append(lc[t + k] - lc[t])
        model = LGBMRegressor(**self._params()).fit(np.vstack(rows), np.concatenate(targets))
        q = np.empty((len(QUANTILES), self.horizon))
        for k in range(1, self.horizon + 1):
            hist = lc[k:] - lc[:-k]
            q[:, k - 1] = np.quantile(hist - hist.mean(), QUANTILES)
        return FittedGbm(model.booster_, q, str(s.dates[-1]), self.extra)

    def forecast(self, s: DailySeries, h: int) -> Path:
        if s.is_constant:
            return Path.flat(float(s.close[-1]), h)
        return self.fit(s).forecast(s, h)


@dataclass(frozen=True, slots=True)
class FittedGbm:
    """A trained booster and its training window's interval offsets (rows: the QUANTILES,
    columns: horizons 1..n). Stored as LightGBM's text model plus JSON metadata."""

    booster: Any             # lightgbm.Booster
    offsets: np.ndarray
    data_end: str
    extra: Callable[[DailySeries], np.ndarray] | None = None

    @property
    def horizon(self) -> int:
        return int(self.offsets.shape[1])

    def forecast(self, s: DailySeries, h: int) -> Path:
        """The path from the last bar of `s`: the trees see only its features."""
        if h > self.horizon:
            raise ValueError(f"trained for {self.horizon} days ahead, asked for {h}")
        lc = np.log(s.close)
        x = features(s, self.extra)
        live = np.column_stack([np.repeat(x[-1:], h, axis=0), np.arange(1, h + 1)])
        mean = lc[-1] + self.booster.predict(live)
        lo95, lo80, hi80, hi95 = mean + self.offsets[:, :h]
        return Path(mean, lo80, hi80, lo95, hi95).exp()

    def to_bytes(self) -> bytes:
        return self.booster.model_to_string().encode()

    def meta(self) -> dict:
        return {"offsets": self.offsets.tolist(), "quantiles": list(QUANTILES),
                "data_end": self.data_end, "format": "lightgbm text model",
                "features": list(FEATURE_NAMES)}

    @classmethod
    def from_stored(cls, model: bytes, meta: dict) -> FittedGbm:
        import lightgbm

        return cls(lightgbm.Booster(model_str=model.decode()),
                   np.array(meta["offsets"], dtype=np.float64), meta["data_end"])
