"""Portfolio optimisation with SciPy's SLSQP: minimum variance, maximum Sharpe, risk parity and
points on the efficient frontier, under long-only and maximum-weight constraints.

SciPy rather than PyPortfolioOpt or riskfolio-lib: it is already installed for the statistics,
these are small smooth problems (≤ 50 assets) that SLSQP solves in milliseconds, and both
libraries pull in cvxpy and its compiled solvers for no gain at this size. The covariance is
Ledoit–Wolf shrunk (scikit-learn), since a sample covariance of 50 assets over a year or two is
close to singular and an optimiser leans hard on its smallest eigenvalues.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from stockflow.core.problems import invalid
from stockflow.predict.jsonsafe import clean
from stockflow.predict.portfolio import contributions, periods_per_year, simple_returns

OBJECTIVES = ("min_variance", "max_sharpe", "risk_parity")


def estimates(rets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Annualised mean returns and Ledoit–Wolf covariance."""
    from sklearn.covariance import LedoitWolf

    periods = periods_per_year(rets.index)
    mu = rets.mean().to_numpy() * periods
    cov = LedoitWolf().fit(rets.to_numpy()).covariance_ * periods
    return mu, cov


def _bounds(n: int, long_only: bool, max_weight: float | None) -> list[tuple[float, float]]:
    cap = 1.0 if max_weight is None else float(max_weight)
    if not 0 < cap <= 1:
        raise invalid(f"max_weight must be in (0, 1], got {max_weight}")
    if cap * n < 1 - 1e-12:
        raise invalid(f"{n} assets with at most {cap:g} each cannot sum to one",
                      [{"field": "max_weight", "needed": 1.0 / n}])
    return [(0.0 if long_only else -cap, cap)] * n


def _solve(fun: Callable[[np.ndarray], float], bounds, extra: list[dict] | None = None,
           x0: np.ndarray | None = None) -> np.ndarray:
    n = len(bounds)
    start = np.full(n, 1.0 / n) if x0 is None else x0
    cons = [{"type": "eq", "fun": lambda w: w.sum() - 1.0}, *(extra or [])]
    res = minimize(fun, start, method="SLSQP", bounds=bounds, constraints=cons,
                   options={"maxiter": 500, "ftol": 1e-12})
    if not res.success:
        raise invalid(f"the optimiser found no portfolio under these constraints: {res.message}")
    return np.clip(res.x, [b[0] for b in bounds], [b[1] for b in bounds])


def min_variance(cov: np.ndarray, bounds) -> np.ndarray:
    return _solve(lambda w: float(w @ cov @ w), bounds)


def max_sharpe(mu: np.ndarray, cov: np.ndarray, bounds, rf: float = 0.0) -> np.ndarray:
    return _solve(lambda w: -(float(mu @ w) - rf) / np.sqrt(float(w @ cov @ w)), bounds)


def risk_parity(cov: np.ndarray, bounds) -> np.ndarray:
    """Equal risk contributions; starts from inverse volatility, which is exact when
    correlations are equal."""
    inv = 1.0 / np.sqrt(np.diag(cov))

    def spread(w: np.ndarray) -> float:
        pct = contributions(w, cov)["percent"]
        return float(np.sum((pct - 1.0 / len(w)) ** 2)) * 1e4

    return _solve(spread, bounds, x0=inv / inv.sum())


def frontier(mu: np.ndarray, cov: np.ndarray, bounds, points: int) -> list[dict]:
    """Minimum variance for target returns from the minimum-variance return to the highest
    return the constraints allow."""
    lo = float(mu @ min_variance(cov, bounds))
    hi = float(mu @ _solve(lambda w: -float(mu @ w), bounds))
    out = []
    for target in np.linspace(lo, hi, points):
        w = _solve(lambda w: float(w @ cov @ w), bounds,
                   [{"type": "eq", "fun": lambda w, t=target: float(mu @ w) - t}])
        out.append({"return": float(mu @ w), "volatility": float(np.sqrt(w @ cov @ w)),
                    "weights": w})
    return out


def optimise(closes: Mapping[str, pd.Series], objective: str = "min_variance", *,
             long_only: bool = True, max_weight: float | None = None, risk_free: float = 0.0,
             frontier_points: int = 0) -> dict:
    if objective not in OBJECTIVES:
        raise invalid(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    rets = simple_returns(closes)
    tickers = [str(c) for c in rets.columns]
    mu, cov = estimates(rets)
    bounds = _bounds(len(tickers), long_only, max_weight)
    solvers = {"min_variance": lambda: min_variance(cov, bounds),
               "max_sharpe": lambda: max_sharpe(mu, cov, bounds, risk_free),
               "risk_parity": lambda: risk_parity(cov, bounds)}
    w = solvers[objective]()
    w = w / w.sum()                 # SLSQP meets the equality to ~1e-10; make it exact
    vol = float(np.sqrt(w @ cov @ w))
    out = {"objective": objective, "weights": dict(zip(tickers, w.tolist(), strict=True)),
           "expected_return": float(mu @ w), "volatility": vol,
           "sharpe": (float(mu @ w) - risk_free) / vol if vol > 0 else None,
           "risk_contributions": dict(zip(tickers, contributions(w, cov)["percent"].tolist(),
                                          strict=True)),
           "constraints": {"long_only": long_only, "max_weight": max_weight},
           "covariance": "Ledoit-Wolf shrinkage", "observations": len(rets)}
    if frontier_points:
        out["frontier"] = [{**p, "weights": dict(zip(tickers, p["weights"].tolist(), strict=True))}
                           for p in frontier(mu, cov, bounds, frontier_points)]
    return clean(out)
