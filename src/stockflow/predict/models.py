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
