"""Accounting identities, checked on any statements: simulated ones hold them exactly, vendor
ones are flagged when they do not (within a tolerance, since vendors round)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stockflow.analysis.domain import Number

ASSETS = ("cash", "short_term_investments", "receivables", "inventory", "other_current_assets",
          "property_plant_equipment", "goodwill_intangibles", "other_noncurrent_assets")
CURRENT_ASSETS = ASSETS[:5]
LIABILITIES = ("accounts_payable", "short_term_debt", "other_current_liabilities",
               "long_term_debt", "other_noncurrent_liabilities")
CURRENT_LIABILITIES = LIABILITIES[:3]
OPERATING = ("net_income", "depreciation_amortization", "change_receivables",
             "change_inventory", "change_payables", "change_other_working_capital",
             "other_operating")


@dataclass(frozen=True, slots=True)
class Breach:
    identity: str
    left: float
    right: float

    @property
    def gap(self) -> float:
        return self.left - self.right


def _sum(items: Mapping[str, Number | None], names: Sequence[str]) -> Number | None:
    values = [items.get(n) for n in names]
    return None if any(v is None for v in values) else sum(values)  # type: ignore[misc]


def _check(out: list[Breach], name: str, left: Number | None, right: Number | None,
           tol: float) -> None:
    # A missing side is not a breach: vendors omit lines, and we never invent them.
    if left is None or right is None:
        return
    if abs(left - right) > tol * max(1.0, abs(left), abs(right)):
        out.append(Breach(name, float(left), float(right)))


def balance_breaches(b: Mapping[str, Number | None], tol: float = 0.0, *,
                     components: bool = True) -> list[Breach]:
    """`components=False` checks totals only: vendors report lines our chart does not carry
    (deferred revenue, long-term investments), so their lines need not add up to our totals."""
    out: list[Breach] = []
    funded = _sum(b, ("total_liabilities", "total_equity"))
    _check(out, "assets = liabilities + equity", b.get("total_assets"),
           None if funded is None else funded + (b.get("noncontrolling_interest") or 0), tol)
    if not components:
        return out
    _check(out, "assets = sum of asset lines", b.get("total_assets"), _sum(b, ASSETS), tol)
    _check(out, "current assets = sum of lines", b.get("total_current_assets"),
           _sum(b, CURRENT_ASSETS), tol)
    _check(out, "liabilities = sum of liability lines", b.get("total_liabilities"),
           _sum(b, LIABILITIES), tol)
    _check(out, "current liabilities = sum of lines", b.get("total_current_liabilities"),
           _sum(b, CURRENT_LIABILITIES), tol)
    equity = _sum(b, ("common_stock", "retained_earnings"))
    treasury = b.get("treasury_stock")
    _check(out, "equity = common + retained - treasury", b.get("total_equity"),
           None if equity is None or treasury is None else equity - treasury, tol)
    return out


def income_breaches(i: Mapping[str, Number | None], tol: float = 0.0) -> list[Breach]:
    out: list[Breach] = []
    rev, cogs = i.get("revenue"), i.get("cost_of_revenue")
    _check(out, "gross profit = revenue - cost", i.get("gross_profit"),
           None if rev is None or cogs is None else rev - cogs, tol)
    gp, opex = i.get("gross_profit"), i.get("operating_expenses")
    _check(out, "operating income = gross profit - opex", i.get("operating_income"),
           None if gp is None or opex is None else gp - opex, tol)
    pre, tax = i.get("pretax_income"), i.get("income_tax")
    _check(out, "net income = pretax - tax", i.get("net_income"),
           None if pre is None or tax is None else pre - tax, tol)
    return out


def cash_flow_breaches(c: Mapping[str, Number | None], tol: float = 0.0, *,
                       components: bool = True) -> list[Breach]:
    out: list[Breach] = []
    if components:
        _check(out, "operating cash flow = sum of lines", c.get("operating_cash_flow"),
               _sum(c, OPERATING), tol)
    _check(out, "net change = operating + investing + financing", c.get("net_change_in_cash"),
           _sum(c, ("operating_cash_flow", "investing_cash_flow", "financing_cash_flow")), tol)
    cfo, capex = c.get("operating_cash_flow"), c.get("capital_expenditure")
    _check(out, "free cash flow = operating - capex", c.get("free_cash_flow"),
           None if cfo is None or capex is None else cfo - capex, tol)
    return out


def link_breaches(income: Mapping[str, Number | None], cash_flow: Mapping[str, Number | None],
                  balance: Mapping[str, Number | None], previous_balance: Mapping[str, Number | None],
                  tol: float = 0.0) -> list[Breach]:
    """Across statements of one period: net income, retained earnings and cash tie together."""
    out: list[Breach] = []
    _check(out, "cash-flow net income = income-statement net income",
           cash_flow.get("net_income"), income.get("net_income"), tol)
    end, begin = balance.get("cash"), previous_balance.get("cash")
    _check(out, "change in cash = net change in cash",
           None if end is None or begin is None else end - begin,
           cash_flow.get("net_change_in_cash"), tol)
    re1, re0 = balance.get("retained_earnings"), previous_balance.get("retained_earnings")
    ni, div = income.get("net_income"), cash_flow.get("dividends_paid")
    _check(out, "change in retained earnings = net income - dividends",
           None if re1 is None or re0 is None else re1 - re0,
           None if ni is None or div is None else ni - div, tol)
    return out
