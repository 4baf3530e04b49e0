"""Discounted free cash flow to the firm: WACC from CAPM and the cost of debt, explicit years
whose growth fades to the terminal rate, then a Gordon terminal value; and a WACC × g grid."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from stockflow.analysis.errors import ImpossibleInput
from stockflow.analysis.valuation.capm import cost_of_equity

WACC_STEPS = (-0.02, -0.01, 0.0, 0.01, 0.02)
GROWTH_STEPS = (-0.01, -0.005, 0.0, 0.005, 0.01)


@dataclass(frozen=True, slots=True)
class DcfAssumptions:
    base_fcff: float                 # free cash flow to the firm of the base year
    growth: float                    # growth of the first explicit year
    terminal_growth: float
    years: int
    risk_free: float
    equity_risk_premium: float
    beta: float
    cost_of_debt: float              # before tax
    tax_rate: float
    market_cap: float                # equity weight, at market
    debt: float
    cash: float
    shares: float
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DcfYear:
    year: int
    growth: float
    fcff: float
    discount_factor: float
    present_value: float


@dataclass(frozen=True, slots=True)
class DcfResult:
    assumptions: DcfAssumptions
    cost_of_equity: float
    wacc: float
    years: list[DcfYear]
    terminal_value: float
    terminal_present_value: float
    enterprise_value: float
    equity_value: float
    value_per_share: float
    sensitivity: dict


def wacc(a: DcfAssumptions) -> tuple[float, float]:
    """(cost of equity, WACC) with market-value weights."""
    ke = cost_of_equity(a.risk_free, a.beta, a.equity_risk_premium)
    total = a.market_cap + a.debt
    return ke, (a.market_cap * ke + a.debt * a.cost_of_debt * (1 - a.tax_rate)) / total


def validate(a: DcfAssumptions) -> None:
    if a.shares <= 0:
        raise ImpossibleInput("shares", f"must be positive, got {a.shares:g}: value per share "
                              "needs a share count")
    if not 1 <= a.years <= 30:
        raise ImpossibleInput("years", f"must be 1 to 30 explicit years, got {a.years}")
    if not 0 <= a.tax_rate < 1:
        raise ImpossibleInput("tax_rate", f"must be in [0, 1), got {a.tax_rate:g}")
    if a.market_cap <= 0:
        raise ImpossibleInput("market_cap", "must be positive: it weights the cost of equity")
    if a.debt < 0 or a.cost_of_debt < 0:
        raise ImpossibleInput("debt", "debt and its cost cannot be negative")
    _, rate = wacc(a)
    if rate <= 0:
        raise ImpossibleInput("wacc", f"is {rate:.2%}; discounting needs a positive rate")
    if a.terminal_growth >= rate:
        raise ImpossibleInput("terminal_growth", f"{a.terminal_growth:.2%} is not below the "
                              f"WACC of {rate:.2%}; a Gordon terminal value needs g < WACC")


def _value(a: DcfAssumptions, rate: float, g: float) -> tuple[list[DcfYear], float, float]:
    years, fcff = [], a.base_fcff
    for t in range(1, a.years + 1):
        # Growth fades in a straight line from the first year's rate to the terminal rate.
        step = 0.0 if a.years == 1 else (t - 1) / (a.years - 1)
        growth = a.growth + (g - a.growth) * step
        fcff *= 1 + growth
        factor = 1 / (1 + rate) ** t
        years.append(DcfYear(t, growth, fcff, factor, fcff * factor))
    terminal = fcff * (1 + g) / (rate - g)
    return years, terminal, terminal / (1 + rate) ** a.years


def _per_share(a: DcfAssumptions, rate: float, g: float) -> float | None:
    if g >= rate or rate <= 0:
        return None
    years, _, tv_pv = _value(a, rate, g)
    return (sum(y.present_value for y in years) + tv_pv - a.debt + a.cash) / a.shares


def dcf(a: DcfAssumptions) -> DcfResult:
    validate(a)
    ke, rate = wacc(a)
    years, terminal, tv_pv = _value(a, rate, a.terminal_growth)
    ev = sum(y.present_value for y in years) + tv_pv
    equity = ev - a.debt + a.cash
    waccs = [rate + s for s in WACC_STEPS]
    growths = [a.terminal_growth + s for s in GROWTH_STEPS]
    grid = [[_per_share(a, w, g) for g in growths] for w in waccs]
    return DcfResult(a, ke, rate, years, terminal, tv_pv, ev, equity, equity / a.shares,
                     {"wacc": waccs, "terminal_growth": growths, "value_per_share": grid,
                      "note": "rows are WACC, columns terminal growth; None where g >= WACC"})
