"""Portfolio analysis over aligned returns: performance, tail risk and risk contributions.

Weights must sum to one (within 1e-6): a portfolio whose weights do not is refused with a 422
that gives the sum, not silently normalised, because rescaling changes the exposure the owner
asked about (cash and leverage are not modelled here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from stockflow.core.problems import invalid
from stockflow.predict import risk
from stockflow.predict.correlation import aligned_returns
from stockflow.predict.jsonsafe import clean, finite
from stockflow.predict.series import too_few

SUM_TOLERANCE = 1e-6
MIN_RETURNS = 60


def check_weights(weights: Mapping[str, float], tickers: list[str], long_only: bool) -> np.ndarray:
    missing = sorted(set(weights) - set(tickers))
    if missing:
        raise invalid(f"no prices for {', '.join(missing)}")
    w = np.array([float(weights.get(t, 0.0)) for t in tickers])
    if not np.all(np.isfinite(w)):
        raise invalid("weights must be finite numbers")
    total = float(w.sum())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise invalid(f"weights sum to {total:.6g}, not 1; they are not normalised for you",
                      [{"field": "weights", "sum": total}])
    if long_only and np.any(w < 0):
        short = [t for t, x in zip(tickers, w, strict=True) if x < 0]
        raise invalid(f"negative weights while long-only: {', '.join(short)}")
    return w


def periods_per_year(index: pd.DatetimeIndex) -> float:
    """Observed returns per year over the common dates (≈252 for one US listing, fewer when
    calendars intersect), so annualising matches the sampling the returns really have."""
    years = (index[-1] - index[0]).days / 365.25
    return len(index) / years if years > 0 else 252.0


def simple_returns(closes: Mapping[str, pd.Series]) -> pd.DataFrame:
    rets = np.expm1(aligned_returns(closes))
    if len(rets) < MIN_RETURNS:
        raise too_few("a portfolio analysis over the common dates", MIN_RETURNS + 1,
                      len(rets) + 1)
    return rets


def contributions(w: np.ndarray, cov: np.ndarray) -> dict:
    """Marginal (∂σ/∂w = Σw/σ), component (w · marginal, summing to σ) and percent shares."""
    sigma = math.sqrt(max(float(w @ cov @ w), 0.0))
    marginal = cov @ w / sigma if sigma > 0 else np.zeros(len(w))
    component = w * marginal
    pct = component / sigma if sigma > 0 else np.full(len(w), np.nan)
    return {"volatility": sigma, "marginal": marginal, "component": component, "percent": pct}


def _performance(rp: np.ndarray, periods: float, rf: float) -> dict:
    value = np.cumprod(1.0 + rp)
    years = len(rp) / periods
    cagr = value[-1] ** (1 / years) - 1 if value[-1] > 0 else -1.0
    sd = float(rp.std(ddof=1))
    excess = float(rp.mean()) - rf / periods
    dd = risk.downside_deviation(rp, rf / periods)
    mdd = risk.drawdown(np.concatenate([[1.0], value]))
    return {"return_annualised": float(rp.mean()) * periods, "cagr": cagr,
            "volatility": sd * math.sqrt(periods),
            "sharpe": excess / sd * math.sqrt(periods) if sd > 0 else None,
            "sortino": excess / dd * math.sqrt(periods) if dd > 0 else None,
            "calmar": cagr / mdd["max_drawdown"] if mdd["max_drawdown"] > 0 else None,
            "max_drawdown": mdd}


def analyse(closes: Mapping[str, pd.Series], weights: Mapping[str, float], *,
            long_only: bool = True, risk_free: float = 0.0,
            benchmark: pd.Series | None = None) -> dict:
    """Return, volatility, Sharpe, Sortino, Calmar, drawdown, beta, VaR/ES, contributions."""
    data = dict(closes)
    if benchmark is not None:
        data["__benchmark__"] = benchmark
    rets = simple_returns(data)
    bench = rets.pop("__benchmark__").to_numpy() if benchmark is not None else None
    tickers = [str(c) for c in rets.columns]
    w = check_weights(weights, tickers, long_only)
    periods = periods_per_year(rets.index)
    rp = rets.to_numpy() @ w
    cov = rets.cov().to_numpy() * periods
    rc = contributions(w, cov)
    tail = {}
    for level in risk.LEVELS:
        hv, he = risk.historical(rp, level)
        nv, ne = risk.normal(rp, level)
        tail[str(round(level * 100))] = {"historical": {"var": hv, "es": he},
                                         "normal": {"var": nv, "es": ne}}
    corr = rets.corr().to_numpy(copy=True)  # pandas 3 hands out read-only views
    np.fill_diagonal(corr, 1.0)
    return clean({
        "tickers": tickers, "weights": w, "observations": len(rp),
        "periods_per_year": periods, **_performance(rp, periods, risk_free),
        "beta": finite(risk.beta(rp, bench)) if bench is not None else None,
        "var_es_1d": tail,
        "risk_contributions": {t: {"marginal": rc["marginal"][i], "component": rc["component"][i],
                                   "percent": rc["percent"][i]} for i, t in enumerate(tickers)},
        "correlation": corr, "start": str(rets.index[0].date()), "end": str(rets.index[-1].date()),
    })
