"""Cost of equity by CAPM, with beta estimated from returns against a market proxy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stockflow.analysis.errors import ImpossibleInput

MIN_OBSERVATIONS = 60


def returns(closes: Sequence[float]) -> np.ndarray:
    """Simple period returns of a close series."""
    prices = np.asarray(closes, dtype=np.float64)
    if len(prices) < 2 or np.any(prices <= 0) or not np.all(np.isfinite(prices)):
        raise ImpossibleInput("prices", "need at least two positive, finite closes")
    return prices[1:] / prices[:-1] - 1


def beta(asset: Sequence[float], market: Sequence[float]) -> float:
    """cov(asset, market) / var(market) over aligned returns (same dates, same length)."""
    a, m = np.asarray(asset, dtype=np.float64), np.asarray(market, dtype=np.float64)
    if a.shape != m.shape:
        raise ImpossibleInput("returns", f"asset has {len(a)} returns, market {len(m)}: "
                              "align them on common dates first")
    if len(a) < MIN_OBSERVATIONS:
        raise ImpossibleInput("returns", f"{len(a)} returns; beta needs at least "
                              f"{MIN_OBSERVATIONS}")
    var = float(np.var(m, ddof=1))
    if var == 0:
        raise ImpossibleInput("market", "the market proxy did not move")
    return float(np.cov(a, m, ddof=1)[0, 1] / var)


def cost_of_equity(risk_free: float, beta_: float, equity_risk_premium: float) -> float:
    return risk_free + beta_ * equity_risk_premium
