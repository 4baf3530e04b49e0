"""Price forecasters: naive, drift, AutoETS, AutoARIMA and Theta from statsforecast.

Every model is fitted on log closes and its path exponentiated back, so intervals stay positive
and a model sees returns, not price levels that differ by orders of magnitude across tickers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from stockflow.predict.series import DailySeries

LEVELS = (80, 95)


@dataclass(frozen=True, slots=True)
class Path:
    """An h-step forecast: point and 80 %/95 % bounds, one value per step ahead."""

    mean: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray

    @classmethod
    def flat(cls, value: float, h: int) -> Path:
        v = np.full(h, float(value))
        return cls(v, v, v, v, v)

    def exp(self) -> Path:
        return Path(*(np.exp(getattr(self, f)) for f in self.__slots__))

    @staticmethod
    def blend(paths: list[Path], weights: np.ndarray) -> Path:
        """Weighted average of each bound (quantile averaging, Lichtendahl et al. 2013)."""
        return Path(*(sum(w * getattr(p, f) for p, w in zip(paths, weights, strict=True))
                      for f in Path.__slots__))


class Forecaster(Protocol):
    name: str
    min_obs: int

    def forecast(self, s: DailySeries, h: int) -> Path: ...


class StatsForecaster:
    """One statsforecast model, rebuilt for every fit so no state survives between origins."""

    def __init__(self, name: str, factory: Callable[[], object], min_obs: int) -> None:
        self.name, self.factory, self.min_obs = name, factory, min_obs

    def forecast(self, s: DailySeries, h: int) -> Path:
        y = np.log(s.close)
        if np.all(y == y[0]):
            # ETS/ARIMA divide by the series' variance; a constant series has none to model.
            return Path.flat(float(s.close[-1]), h)
        out = self.factory().fit(y).predict(h=h, level=list(LEVELS))  # type: ignore[attr-defined]
        path = Path(out["mean"], out["lo-80"], out["hi-80"], out["lo-95"], out["hi-95"])
        return path.exp()


def statsforecast_models() -> list[StatsForecaster]:
    """The classical candidates; imported here so importing the package stays cheap."""
    from statsforecast.models import AutoARIMA, AutoETS, Naive, RandomWalkWithDrift, Theta

    return [
        StatsForecaster("naive", Naive, 3),
        StatsForecaster("drift", RandomWalkWithDrift, 3),
        StatsForecaster("theta", Theta, 10),
        StatsForecaster("ets", lambda: AutoETS(model="ZZN"), 20),
        StatsForecaster("arima", lambda: AutoARIMA(seasonal=False), 30),
    ]


def select(name: str, s: DailySeries) -> dict | None:
    """What AutoARIMA / AutoETS select on `s` (order; components), for training to register:
    the daily batch then re-estimates only that model on the latest bars instead of searching
    again (the search is most of a refit's cost: ~30 ARIMA fits for one). None for a model
    that has no search, or a constant series."""
    from statsforecast.models import AutoARIMA, AutoETS

    y = np.log(s.close)
    if np.all(y == y[0]):
        return None
    if name == "arima":
        fit = AutoARIMA(seasonal=False).fit(y).model_
        p, q, _, _, _, d, _ = (int(v) for v in fit["arma"])
        return {"order": [p, d, q], "include_mean": "intercept" in fit["coef"],
                "include_drift": "drift" in fit["coef"]}
    if name == "ets":
        comp = AutoETS(model="ZZN").fit(y).model_["components"]   # e.g. "AANN": E, T, S, damped
        return {"model": comp[:3], "damped": comp[3] == "D"}
    return None


def specified(name: str, spec: dict) -> StatsForecaster:
    """The registered selection as a forecaster that only estimates its coefficients."""
    from statsforecast.models import ARIMA, AutoETS

    base = {m.name: m for m in statsforecast_models()}[name]
    if name == "arima":
        return StatsForecaster(name, lambda: ARIMA(
            order=tuple(spec["order"]), include_mean=spec["include_mean"],
            include_drift=spec["include_drift"]), base.min_obs)
    if name == "ets":
        return StatsForecaster(name, lambda: AutoETS(model=spec["model"],
                                                     damped=spec["damped"]), base.min_obs)
    raise ValueError(f"{name} has no registered specification")


def describe(name: str, spec: dict) -> str:
    if name == "arima":
        extra = " with drift" if spec["include_drift"] else (
            " with mean" if spec["include_mean"] else "")
        return f"order {tuple(spec['order'])}{extra}, coefficients re-estimated"
    return f"ETS({','.join(spec['model'])}{' damped' if spec['damped'] else ''}), " \
           "coefficients re-estimated"
