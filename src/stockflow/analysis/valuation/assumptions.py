"""DCF assumptions from the statements, each with where it came from, and user overrides.

Base FCFF = EBIT × (1 − tax rate) + D&A − capex − increase in working capital, the increase
read from the cash-flow statement's working-capital lines. Tax rate = income tax / pretax
income; cost of debt = interest expense / debt; first-year growth = revenue growth over the
year. Where a figure cannot be read the documented default is used and the source says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from stockflow.analysis.accounts import StatementType
from stockflow.analysis.errors import ImpossibleInput
from stockflow.analysis.growth import rate
from stockflow.analysis.periods import PeriodData
from stockflow.analysis.ratios.inputs import div
from stockflow.analysis.valuation.dcf import DcfAssumptions

_I, _B, _C = StatementType.INCOME, StatementType.BALANCE, StatementType.CASH_FLOW
_WC = ("change_receivables", "change_inventory", "change_payables",
       "change_other_working_capital")


@dataclass(frozen=True, slots=True)
class ValuationDefaults:
    risk_free: float = 0.042
    equity_risk_premium: float = 0.05
    terminal_growth: float = 0.025
    years: int = 5
    tax_rate: float = 0.21
    debt_spread: float = 0.015        # over the risk-free rate, for a company with no debt
    growth: float = 0.05
    growth_floor: float = -0.2
    growth_cap: float = 0.3


def _tax(p: PeriodData, d: ValuationDefaults) -> tuple[float, str]:
    t = div(p.line(_I, "income_tax"), p.line(_I, "pretax_income"))
    if t is None or not 0 <= t < 0.6 or (p.line(_I, "pretax_income") or 0) <= 0:
        return d.tax_rate, "default (effective rate not meaningful)"
    return t, "income_tax / pretax_income"


def _fcff(p: PeriodData, tax: float) -> tuple[float, str]:
    ebit = p.line(_I, "operating_income")
    da = p.line(_I, "depreciation_amortization")
    if da is None:
        da = p.line(_C, "depreciation_amortization")
    capex = p.line(_C, "capital_expenditure")
    if ebit is None or capex is None:
        raise ImpossibleInput("base_fcff", "the statements lack operating income or capital "
                              "expenditure; pass base_fcff to value the company")
    released = [p.line(_C, n) for n in _WC]
    nwc_note = "working-capital lines of the cash-flow statement"
    if all(v is None for v in released):
        nwc_note = "no working-capital lines: change taken as 0"
    wc_cash = sum(v for v in released if v is not None)
    fcff = ebit * (1 - tax) + (da or 0) - capex + wc_cash
    return fcff, f"EBIT × (1 − t) + D&A − capex − ΔNWC ({nwc_note})"


def from_statements(current: PeriodData, prior: PeriodData | None, price: float,
                    beta: float, beta_source: str, d: ValuationDefaults) -> DcfAssumptions:
    tax, tax_src = _tax(current, d)
    fcff, fcff_src = _fcff(current, tax)
    debt = (current.line(_B, "short_term_debt") or 0) + (current.line(_B, "long_term_debt") or 0)
    kd = div(current.line(_I, "interest_expense"), debt)
    kd_src = "interest_expense / total_debt"
    if kd is None or not 0 <= kd <= 0.2:
        kd, kd_src = d.risk_free + d.debt_spread, "risk_free + default spread"
    g = rate(current.line(_I, "revenue"), prior.line(_I, "revenue") if prior else None)
    g_src = "revenue growth over the prior year, bounded"
    if g is None:
        g, g_src = d.growth, "default"
    shares = current.line(_B, "shares_outstanding") or current.line(_I, "shares_diluted") or 0
    cash = (current.line(_B, "cash") or 0) + (current.line(_B, "short_term_investments") or 0)
    return DcfAssumptions(
        base_fcff=fcff, growth=min(d.growth_cap, max(d.growth_floor, g)),
        terminal_growth=d.terminal_growth, years=d.years, risk_free=d.risk_free,
        equity_risk_premium=d.equity_risk_premium, beta=beta, cost_of_debt=kd, tax_rate=tax,
        market_cap=price * shares, debt=debt, cash=cash, shares=shares,
        sources={"base_fcff": fcff_src, "growth": g_src, "tax_rate": tax_src,
                 "cost_of_debt": kd_src, "beta": beta_source, "market_cap": "price × shares",
                 "debt": "short_term_debt + long_term_debt",
                 "cash": "cash + short_term_investments", "shares": "shares_outstanding",
                 "period_end": current.end.isoformat(), "period": current.period.value})


OVERRIDABLE = tuple(f.name for f in fields(DcfAssumptions) if f.name != "sources")


def override(a: DcfAssumptions, values: Mapping[str, float]) -> DcfAssumptions:
    """Assumptions with the caller's values in place; each named one's source says so."""
    unknown = sorted(set(values) - set(OVERRIDABLE))
    if unknown:
        raise ImpossibleInput(unknown[0], f"not an assumption; use one of "
                              f"{', '.join(OVERRIDABLE)}")
    changes = {k: (int(v) if k == "years" else float(v)) for k, v in values.items()}
    sources = dict(a.sources) | {k: "override" for k in changes}
    return replace(a, **changes, sources=sources)
