"""Types the predict context publishes to others: the prediction document (`Prediction`) and
the validated daily series its models read (`DailySeries`). The numerics live beside them
(forecast.py, volatility.py, risk.py, correlation.py, portfolio.py, anomaly.py)."""

from __future__ import annotations

from stockflow.predict.ports import Prediction
from stockflow.predict.series import DailySeries

__all__ = ["DailySeries", "Prediction"]
