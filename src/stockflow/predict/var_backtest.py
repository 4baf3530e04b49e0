"""VaR backtests: each day's one-day VaR made from the days before it, against what happened.

Tests: Kupiec's proportion of failures (1995), Christoffersen's independence and conditional
coverage (1998), and the Basel Committee's traffic light (1996), whose zones are cumulative
binomial probabilities of the breach count: green below 95 %, red from 99.99 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from stockflow.predict import risk
from stockflow.predict.series import too_few
from stockflow.predict.volatility import filter_forward, fit_garch

MIN_DAYS = 50            # fewer days cannot tell a 99 % VaR from a bad one
VarFn = Callable[[np.ndarray, float], float]


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * math.log(y)


def kupiec(breaches: int, n: int, level: float) -> dict:
    """LR_pof = −2 ln[(1−p)^(n−x) p^x] + 2 ln[(1−x/n)^(n−x) (x/n)^x], χ²(1)."""
    p, x = 1.0 - level, breaches
    phat = x / n
    lr = -2 * (_xlogy(n - x, 1 - p) + _xlogy(x, p)) + 2 * (_xlogy(n - x, 1 - phat)
                                                          + _xlogy(x, phat))
    lr = max(lr, 0.0)
    return {"statistic": lr, "p_value": float(stats.chi2.sf(lr, 1))}


def christoffersen(hits: np.ndarray, level: float) -> dict:
    """Independence (breaches do not cluster) and conditional coverage (= POF + independence)."""
    h = np.asarray(hits, dtype=int)
    prev, cur = h[:-1], h[1:]
    n00, n01 = int(np.sum((prev == 0) & (cur == 0))), int(np.sum((prev == 0) & (cur == 1)))
    n10, n11 = int(np.sum((prev == 1) & (cur == 0))), int(np.sum((prev == 1) & (cur == 1)))
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / max(n00 + n01 + n10 + n11, 1)
    null = _xlogy(n00 + n10, 1 - pi) + _xlogy(n01 + n11, pi)
    alt = (_xlogy(n00, 1 - pi01) + _xlogy(n01, pi01) + _xlogy(n10, 1 - pi11)
           + _xlogy(n11, pi11))
    lr_ind = max(-2 * (null - alt), 0.0)
    lr_cc = kupiec(int(h.sum()), len(h), level)["statistic"] + lr_ind
    return {"independence": {"statistic": lr_ind, "p_value": float(stats.chi2.sf(lr_ind, 1))},
            "conditional_coverage": {"statistic": lr_cc,
                                     "p_value": float(stats.chi2.sf(lr_cc, 2))},
            "transitions": {"n00": n00, "n01": n01, "n10": n10, "n11": n11}}


def traffic_light(breaches: int, n: int, level: float) -> str:
    cum = float(stats.binom.cdf(breaches, n, 1.0 - level))
    return "green" if cum < 0.95 else "yellow" if cum < 0.9999 else "red"


def rolling_var(r: np.ndarray, days: int, window: int, fn: VarFn, level: float) -> np.ndarray:
    start = len(r) - days
    return np.array([fn(r[t - window:t], level) for t in range(start, len(r))])


def fhs_forecasts(r: np.ndarray, days: int, window: int, level: float,
                  refit: int = 25) -> np.ndarray:
    """One-day FHS VaR: GARCH refitted every `refit` days on the `window` returns before, then
    σ_t filtered with those parameters; VaR_t = −(μ + σ_t · quantile of standardised residuals)."""
    out, start = [], len(r) - days
    for t0 in range(start, len(r), refit):
        t1 = min(t0 + refit, len(r))
        fit = fit_garch(r[t0 - window:t0], "garch")
        q = float(np.quantile(fit.standardised(), 1.0 - level))
        sigma = np.sqrt(filter_forward(fit, r[t0:t1]))
        out.extend(-(fit.params["mu"] / 100 + sigma * q))
    return np.array(out)


METHODS: dict[str, VarFn] = {
    "historical": lambda x, a: risk.historical(x, a)[0],
    "normal": lambda x, a: risk.normal(x, a)[0],
    "cornish_fisher": lambda x, a: risk.cornish_fisher(x, a)[0],
}


def summarise(r_test: np.ndarray, var: np.ndarray, level: float) -> dict:
    hits = (r_test < -var).astype(int)
    n, x = len(hits), int(hits.sum())
    return {"days": n, "breaches": x, "expected": n * (1 - level),
            "breach_rate": x / n, "kupiec": kupiec(x, n, level),
            **christoffersen(hits, level), "traffic_light": traffic_light(x, n, level)}


def backtest(returns: np.ndarray, days: int = 250, window: int = 250,
             with_fhs: bool = True) -> dict:
    """Every method at 95 % and 99 % over the last `days` returns."""
    r = np.asarray(returns, dtype=float)
    if days < MIN_DAYS or len(r) < days + window:
        need = max(days, MIN_DAYS) + window
        raise too_few(f"a VaR backtest of at least {MIN_DAYS} days with a {window}-day window",
                      need + 1, len(r) + 1)
    test = r[-days:]
    out: dict[str, dict] = {}
    for level in risk.LEVELS:
        key = str(round(level * 100))
        for name, fn in METHODS.items():
            out.setdefault(name, {})[key] = summarise(test, rolling_var(r, days, window, fn, level),
                                                      level)
        if with_fhs and float(np.std(r)) > 0:
            out.setdefault("fhs", {})[key] = summarise(
                test, fhs_forecasts(r, days, window, level), level)
    return {"methods": out, "days": days, "window": window}
