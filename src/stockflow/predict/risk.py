"""Value at Risk and expected shortfall (historical, normal, Cornish–Fisher, filtered historical
simulation), beta, drawdowns and downside deviation.

VaR and ES are losses, reported as positive fractions of value: a 99 % one-day VaR of 0.03 means
a day worse than −3 % is expected once in a hundred days.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from stockflow.predict.jsonsafe import finite
from stockflow.predict.series import too_few
from stockflow.predict.volatility import GarchFit, fit_garch

LEVELS = (0.95, 0.99)
HORIZONS = (1, 10)
MIN_RETURNS = 100       # a 99 % tail needs a few observations beyond it
MC_PATHS = 10_000
MC_SEED = 20260102


def historical(r: np.ndarray, level: float) -> tuple[float, float]:
    """Empirical quantile (NumPy's linear interpolation) and the mean of returns at or below it."""
    q = float(np.quantile(r, 1.0 - level))
    return -q, -float(r[r <= q].mean())


def normal(r: np.ndarray, level: float, horizon: int = 1) -> tuple[float, float]:
    mu, sd = float(r.mean()) * horizon, float(r.std(ddof=1)) * math.sqrt(horizon)
    z = stats.norm.ppf(1.0 - level)
    return -(mu + z * sd), -(mu - sd * stats.norm.pdf(z) / (1.0 - level))


def _cf_z(u: np.ndarray, skew: float, kurt: float) -> np.ndarray:
    z = stats.norm.ppf(u)
    return (z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24
            - (2 * z**3 - 5 * z) * skew**2 / 36)


def cornish_fisher(r: np.ndarray, level: float, horizon: int = 1) -> tuple[float, float]:
    """Normal quantile corrected by skewness and excess kurtosis; ES averages the corrected
    quantiles over the tail. Over h days under i.i.d. returns skew scales by 1/√h, kurtosis 1/h."""
    mu, sd = float(r.mean()) * horizon, float(r.std(ddof=1)) * math.sqrt(horizon)
    skew = float(stats.skew(r)) / math.sqrt(horizon)
    kurt = float(stats.kurtosis(r)) / horizon
    tail = 1.0 - level
    var = -(mu + sd * float(_cf_z(np.array([tail]), skew, kurt)[0]))
    grid = (np.arange(200) + 0.5) / 200 * tail
    return var, -(mu + sd * float(_cf_z(grid, skew, kurt).mean()))


def fhs_paths(fit: GarchFit, horizon: int, paths: int = MC_PATHS, seed: int = MC_SEED,
              ) -> np.ndarray:
    """Filtered historical simulation (Barone-Adesi et al. 1999): GARCH variance recursion
    driven by bootstrapped standardised residuals. Returns each path's h-day log return."""
    p = fit.params
    mu, omega, alpha, beta = p["mu"], p["omega"], p["alpha[1]"], p["beta[1]"]
    z = fit.standardised()
    rng = np.random.default_rng(seed)
    res = fit.result
    sigma2 = np.full(paths, float(res.forecast(horizon=1, reindex=False)  # type: ignore
                                  .variance.values[-1, 0]))
    total = np.zeros(paths)
    for _ in range(horizon):
        eps = np.sqrt(sigma2) * rng.choice(z, size=paths)
        total += mu + eps
        sigma2 = omega + alpha * eps**2 + beta * sigma2
    return total / 100.0            # arch works in percent returns


def _from_sample(sim: np.ndarray, level: float) -> tuple[float, float]:
    return historical(sim, level)


def var_table(r: np.ndarray, fit: GarchFit | None) -> dict:
    """{method: {"95": {"1d": {var, es}, "10d": ...}, "99": ...}}.

    Historical 10-day figures scale the 1-day ones by √10 (the Basel square-root-of-time rule):
    overlapping 10-day windows from a few years of data are too few and too dependent.
    """
    out: dict[str, dict] = {"historical": {}, "normal": {}, "cornish_fisher": {}}
    sims = {h: fhs_paths(fit, h) for h in HORIZONS} if fit is not None else {}
    if sims:
        out["fhs_monte_carlo"] = {}
    for level in LEVELS:
        key = str(round(level * 100))
        for table in out.values():
            table[key] = {}
        for h in HORIZONS:
            hv, he = historical(r, level)
            rows = {"historical": (hv * math.sqrt(h), he * math.sqrt(h)),
                    "normal": normal(r, level, h), "cornish_fisher": cornish_fisher(r, level, h)}
            if sims:
                rows["fhs_monte_carlo"] = _from_sample(sims[h], level)
            for name, (v, e) in rows.items():
                out[name][key][f"{h}d"] = {"var": finite(v), "es": finite(e)}
    return out


def drawdown(close: np.ndarray) -> dict:
    """Largest peak-to-trough fall and how long it lasted (bars from peak to recovery, or to
    the last bar when the peak was never regained)."""
    c = np.asarray(close, dtype=float)
    peak = np.maximum.accumulate(c)
    dd = c / peak - 1.0
    trough = int(np.argmin(dd))
    start = int(np.argmax(c[:trough + 1])) if trough else 0
    after = np.flatnonzero(c[trough:] >= c[start])
    recovered = int(trough + after[0]) if len(after) and dd[trough] < 0 else None
    end = recovered if recovered is not None else len(c) - 1
    return {"max_drawdown": float(-dd[trough]), "peak_index": start, "trough_index": trough,
            "recovery_index": recovered, "duration_bars": end - start if dd[trough] < 0 else 0,
            "recovered": recovered is not None or dd[trough] == 0}


def downside_deviation(r: np.ndarray, mar: float = 0.0) -> float:
    """√ mean(min(r − MAR, 0)²) over all returns (Sortino & van der Meer 1991)."""
    return float(np.sqrt(np.mean(np.minimum(np.asarray(r) - mar, 0.0) ** 2)))


def beta(r: np.ndarray, bench: np.ndarray) -> float | None:
    """OLS beta of aligned returns; None when the benchmark does not move."""
    vb = float(np.var(bench, ddof=1))
    return float(np.cov(r, bench, ddof=1)[0, 1] / vb) if vb > 0 else None


def risk_summary(close: np.ndarray) -> dict:
    """Historical VaR and ES at 95 and 99 % one day, and the drawdown: what a brief or a
    dashboard shows, without the GARCH fit, the Monte Carlo paths and the backtests that make
    the full answer cost a second or more."""
    c = np.asarray(close, dtype=float)
    r = np.diff(np.log(c))
    if len(r) < MIN_RETURNS:
        raise too_few("a risk estimate", MIN_RETURNS + 1, len(c))
    table: dict[str, dict] = {}
    for level in LEVELS:
        v, e = historical(r, level)
        table[str(round(level * 100))] = {"1d": {"var": finite(v), "es": finite(e)}}
    return {"var_es": {"historical": table}, "drawdown": drawdown(c), "observations": len(c)}


def risk_measures(close: np.ndarray, periods: int = 252) -> dict:
    """Everything but the backtests, for one instrument's closes (oldest first). Beta needs
    returns aligned with a benchmark's dates, so the caller sets it (see the service)."""
    c = np.asarray(close, dtype=float)
    r = np.diff(np.log(c))
    if len(r) < MIN_RETURNS:
        raise too_few("a risk estimate", MIN_RETURNS + 1, len(c))
    constant = float(np.std(r)) == 0.0
    fit = None if constant else fit_garch(r, "garch")
    dd = downside_deviation(r)
    return {"var_es": var_table(r, fit), "drawdown": drawdown(c),
            "downside_deviation": {"daily": dd, "annualised": dd * math.sqrt(periods)},
            "beta": None, "observations": len(c),
            "notes": ["constant series: no GARCH, no Monte Carlo"] if constant else []}
