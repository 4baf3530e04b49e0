"""Volatility: GARCH(1,1) with Student-t errors and EGARCH(1,1) (`arch`), EWMA λ = 0.94.

arch is fitted on percent returns (its optimiser is tuned for that scale); the parameters are
reported in those units, every volatility in plain return units, daily and annualised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stockflow.core.problems import invalid
from stockflow.predict.jsonsafe import finite
from stockflow.predict.series import too_few

MIN_RETURNS = 100        # below this the t-GARCH likelihood is too flat to trust
MAX_HORIZON = 30
EWMA_LAMBDA = 0.94       # RiskMetrics (J.P. Morgan, 1996) for daily data
SIM_SEED = 20260101


@dataclass(frozen=True, slots=True)
class GarchFit:
    """A fitted arch model and what the other analyses need from it."""

    name: str
    result: object           # arch's ARCHModelResult
    params: dict[str, float]

    @property
    def persistence(self) -> float:
        p = self.params
        if self.name == "egarch":
            return p["beta[1]"]            # EGARCH's log-variance is AR(1) in beta
        return p["alpha[1]"] + p["beta[1]"]

    def standardised(self) -> np.ndarray:
        r = self.result
        z = np.asarray(r.std_resid)        # type: ignore[attr-defined]
        return z[np.isfinite(z)]


def half_life(persistence: float) -> float | None:
    """Days for a variance shock to decay by half: ln 0.5 / ln persistence."""
    if not 0.0 < persistence < 1.0:
        return None
    return math.log(0.5) / math.log(persistence)


SPECS = {"garch": {"vol": "GARCH", "p": 1, "q": 1},
         "egarch": {"vol": "EGARCH", "p": 1, "o": 1, "q": 1}}


def arch_spec(returns: np.ndarray, kind: str = "garch"):
    """The arch model this module fits: constant mean, Student-t errors, percent returns."""
    from arch import arch_model

    return arch_model(100.0 * np.asarray(returns, dtype=float), mean="Constant", dist="t",
                      rescale=False, **SPECS[kind])


def fit_garch(returns: np.ndarray, kind: str = "garch") -> GarchFit:
    """GARCH(1,1)-t or EGARCH(1,1,1)-t fitted by maximum likelihood."""
    r = np.asarray(returns, dtype=float)
    if len(r) < MIN_RETURNS:
        raise too_few(f"a {kind.upper()} fit", MIN_RETURNS + 1, len(r) + 1)
    res = arch_spec(r, kind).fit(disp="off", show_warning=False)
    return GarchFit(kind, res, {k: float(v) for k, v in res.params.items()})


def garch_path(fit: GarchFit, horizon: int) -> np.ndarray:
    """Daily variance forecasts for 1..horizon, in return units squared."""
    res = fit.result
    if fit.name == "egarch" and horizon > 1:
        # EGARCH has no closed-form multi-step variance; simulate with a fixed seed.
        rs = np.random.RandomState(SIM_SEED)
        f = res.forecast(horizon=horizon, method="simulation", simulations=2000,  # type: ignore
                         random_state=rs, reindex=False)
    else:
        f = res.forecast(horizon=horizon, reindex=False)  # type: ignore[attr-defined]
    return np.asarray(f.variance.values[-1]) / 1e4


def ewma_variance(returns: np.ndarray, lam: float = EWMA_LAMBDA) -> np.ndarray:
    """σ²_{t+1} = λ σ²_t + (1 − λ) r_t², seeded with the first 30 returns' mean square;
    element t is the forecast for return t made before it was seen."""
    r = np.asarray(returns, dtype=float)
    out = np.empty(len(r) + 1)
    out[0] = float(np.mean(r[:30] ** 2)) if len(r) else 0.0
    for t, x in enumerate(r.tolist()):
        out[t + 1] = lam * out[t] + (1 - lam) * x * x
    return out


def _vol_rows(var: np.ndarray, periods: int) -> list[dict]:
    return [{"day": k + 1, "daily": finite(math.sqrt(v)),
             "annualised": finite(math.sqrt(v * periods))} for k, v in enumerate(var.tolist())]


def _garch_block(fit: GarchFit, horizon: int, periods: int) -> dict:
    persistence = fit.persistence
    return {"params": fit.params, "param_units": "percent returns",
            "persistence": persistence, "half_life_days": half_life(persistence),
            "log_likelihood": float(fit.result.loglikelihood),  # type: ignore[attr-defined]
            "forecast": _vol_rows(garch_path(fit, horizon), periods)}


def realised(returns: np.ndarray, periods: int, windows: tuple[int, ...] = (21, 63)) -> dict:
    out = {}
    for w in windows:
        if len(returns) >= w:
            sd = float(np.std(returns[-w:], ddof=1))
            out[f"{w}d"] = {"daily": sd, "annualised": sd * math.sqrt(periods)}
    return out


def volatility(returns: np.ndarray, horizon: int = MAX_HORIZON, periods: int = 252) -> dict:
    """The three models' forecasts for 1..horizon beside realised volatility."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise invalid(f"horizon must be between 1 and {MAX_HORIZON}, got {horizon}")
    r = np.asarray(returns, dtype=float)
    if len(r) < MIN_RETURNS:
        raise too_few("a volatility forecast", MIN_RETURNS + 1, len(r) + 1)
    ew = ewma_variance(r)[-1]
    models: dict[str, dict] = {"ewma": {"params": {"lambda": EWMA_LAMBDA},
                                        "forecast": _vol_rows(np.full(horizon, ew), periods)}}
    notes = []
    if float(np.std(r)) == 0.0:
        notes.append("constant series: GARCH and EGARCH have no variance to fit")
    else:
        for kind in ("garch", "egarch"):
            models[kind] = _garch_block(fit_garch(r, kind), horizon, periods)
    return {"models": models, "realised": realised(r, periods), "periods_per_year": periods,
            "observations": len(r), "notes": notes}


def filter_forward(fit: GarchFit, later: np.ndarray) -> np.ndarray:
    """σ²_t for each return in `later` (the returns right after the fit's sample), each made
    from returns before t only, with the fit's GARCH parameters held fixed.

    A hand-written recursion rather than arch's `fix()`: arch bounds the variance path by the
    sample variance of the whole series it is given, which would leak later returns.
    """
    if fit.name != "garch":
        raise ValueError("forward filtering is written for GARCH(1,1)")
    p = fit.params
    x = 100.0 * np.asarray(later, dtype=float) - p["mu"]
    out = np.empty(len(x))
    h = float(fit.result.forecast(horizon=1, reindex=False)  # type: ignore[attr-defined]
              .variance.values[-1, 0])
    for t, e in enumerate(x.tolist()):
        out[t] = h
        h = p["omega"] + p["alpha[1]"] * e * e + p["beta[1]"] * h
    return out / 1e4


def tracking(returns: np.ndarray, true_var: np.ndarray, train: int) -> dict:
    """How well GARCH, EWMA and a constant track a known variance after `train` returns.

    Scores: RMSE of the variance and the mean QLIKE loss (Patton 2011), lower is better;
    the constant is the training span's sample variance.
    """
    r, h = np.asarray(returns, dtype=float), np.asarray(true_var, dtype=float)
    fit = fit_garch(r[:train], "garch")
    test = slice(train, len(r))
    candidates = {"garch": filter_forward(fit, r[test]),
                  "ewma": ewma_variance(r)[:-1][test],
                  "constant": np.full(len(r) - train, float(np.var(r[:train], ddof=1)))}

    def losses(f: np.ndarray) -> dict:
        ratio = h[test] / f
        return {"rmse": float(np.sqrt(np.mean((f - h[test]) ** 2))),
                "qlike": float(np.mean(ratio - np.log(ratio) - 1.0))}

    return {"scores": {k: losses(v) for k, v in candidates.items()},
            "train": train, "test": len(r) - train, "params": fit.params}
