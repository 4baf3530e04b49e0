"""One simulated quarter: income, balance sheet and cash flow from the last quarter's balance.

Everything is whole currency units, and every balance-sheet change is paid for in the cash-flow
statement, so an opening balance sheet that balances stays balanced forever.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stockflow.analysis.accounts import Kind, StatementType, account

DAYS = 91.25
RATE_ON_CASH, RATE_ON_DEBT = 0.03, 0.045


@dataclass(frozen=True, slots=True)
class Draws:
    """One company's own parameters, drawn around its sector's profile."""

    price_to_sales: float
    gross_margin: float
    operating_margin: float
    rnd: float
    da: float
    capex: float
    growth: float
    tax_rate: float
    dso: float
    dio: float
    dpo: float
    debt: float
    cash: float
    payout: float
    buyback: float
    seasonality: tuple[float, ...]


def _working(rev: int, cogs: int, d: Draws) -> dict[str, int]:
    return {"receivables": round(rev * d.dso / DAYS), "inventory": round(cogs * d.dio / DAYS),
            "accounts_payable": round(cogs * d.dpo / DAYS),
            "other_current_assets": round(rev * 0.06),
            "other_current_liabilities": round(rev * 0.18)}


def _totals(b: dict[str, int]) -> dict[str, int]:
    b["total_current_assets"] = (b["cash"] + b["short_term_investments"] + b["receivables"]
                                 + b["inventory"] + b["other_current_assets"])
    b["total_assets"] = (b["total_current_assets"] + b["property_plant_equipment"]
                         + b["goodwill_intangibles"] + b["other_noncurrent_assets"])
    b["total_current_liabilities"] = (b["accounts_payable"] + b["short_term_debt"]
                                      + b["other_current_liabilities"])
    b["total_liabilities"] = (b["total_current_liabilities"] + b["long_term_debt"]
                              + b["other_noncurrent_liabilities"])
    b["total_equity"] = b["common_stock"] + b["retained_earnings"] - b["treasury_stock"]
    b["noncontrolling_interest"] = 0
    return b


def _split_debt(b: dict[str, int], debt: int) -> None:
    b["short_term_debt"] = round(debt * 0.1)
    b["long_term_debt"] = debt - b["short_term_debt"]


def opening_balance(annual_revenue: float, d: Draws) -> dict:
    """The balance sheet the first quarter starts from; equity is whatever makes it balance."""
    rev = round(annual_revenue / 4)
    b = {"cash": round(annual_revenue * d.cash), "property_plant_equipment":
         round(annual_revenue * d.capex * 4), "goodwill_intangibles": round(annual_revenue * 0.25),
         "other_noncurrent_assets": round(annual_revenue * 0.1),
         "other_noncurrent_liabilities": round(annual_revenue * 0.08), "treasury_stock": 0,
         **_working(rev, round(rev * (1 - d.gross_margin)), d)}
    b["short_term_investments"] = round(b["cash"] * 0.3)
    _split_debt(b, round(annual_revenue * d.debt))
    b["common_stock"] = b["retained_earnings"] = 0
    _totals(b)
    # A healthy start: at least 30 % of assets funded by equity, topped up in other assets.
    gap = round(0.3 * b["total_assets"]) - (b["total_assets"] - b["total_liabilities"])
    if gap > 0:
        b["other_noncurrent_assets"] += round(gap / 0.7)
        _totals(b)
    equity = b["total_assets"] - b["total_liabilities"]
    b["common_stock"] = round(equity * 0.35)
    b["retained_earnings"] = equity - b["common_stock"]
    return {"balance": _totals(b)}


def _income(prev: dict[str, int], rev: int, d: Draws, z: np.ndarray) -> dict[str, int]:
    cogs = round(rev * (1 - d.gross_margin - 0.01 * z[0]))
    gp = rev - cogs
    rnd, da = round(rev * d.rnd), round(rev * d.da)
    op = round(rev * (d.operating_margin + 0.015 * z[1]))
    sga = gp - rnd - da - op
    if sga < round(rev * 0.02):             # a quarter cannot run on no overhead at all
        sga = round(rev * 0.02)
        op = gp - rnd - da - sga
    int_inc = round(prev["cash"] * RATE_ON_CASH / 4)
    int_exp = round((prev["short_term_debt"] + prev["long_term_debt"]) * RATE_ON_DEBT / 4)
    pretax = op + int_inc - int_exp
    tax = round(max(pretax, 0) * d.tax_rate)
    return {"revenue": rev, "cost_of_revenue": cogs, "gross_profit": gp,
            "research_development": rnd, "selling_general_admin": sga,
            "depreciation_amortization": da, "operating_expenses": rnd + sga + da,
            "operating_income": op, "interest_income": int_inc, "interest_expense": int_exp,
            "other_income": 0, "pretax_income": pretax, "income_tax": tax,
            "net_income": pretax - tax, "ebitda": op + da}


def simulate_quarter(prev_row: dict, rev: int, trend: float, d: Draws, z: np.ndarray, *,
                     spike: bool) -> dict:
    prev = prev_row["balance"]
    inc = _income(prev, rev, d, z)
    b = dict(prev, **_working(rev, inc["cost_of_revenue"], d))
    c = {"net_income": inc["net_income"], "depreciation_amortization": inc[
        "depreciation_amortization"], "other_operating": 0, "other_investing": 0,
         "other_financing": 0}
    c["change_receivables"] = prev["receivables"] - b["receivables"]
    c["change_inventory"] = prev["inventory"] - b["inventory"]
    c["change_payables"] = b["accounts_payable"] - prev["accounts_payable"]
    c["change_other_working_capital"] = (
        b["other_current_liabilities"] - prev["other_current_liabilities"]
        - (b["other_current_assets"] - prev["other_current_assets"]))
    cfo = (c["net_income"] + c["depreciation_amortization"] + c["change_receivables"]
           + c["change_inventory"] + c["change_payables"] + c["change_other_working_capital"])
    capex = round(rev * d.capex * (1 + 0.1 * z[2]))
    if spike:                               # one heavy-investment quarter: negative FCF
        capex = max(capex, cfo + round(0.04 * rev))
    expected = max(0.0, trend * d.operating_margin * (1 - d.tax_rate))
    dividends, buyback = round(d.payout * expected), round(d.buyback * expected)
    debt = prev["short_term_debt"] + prev["long_term_debt"]
    issuance = round(debt * 0.01 * z[3])
    cash = prev["cash"] + cfo - capex + issuance - dividends - buyback
    floor = round(trend * 0.25)             # borrow rather than run the till dry
    if cash < floor:
        issuance += floor - cash
        cash = floor
    _split_debt(b, debt + issuance)
    b["cash"] = cash
    b["property_plant_equipment"] = prev["property_plant_equipment"] + capex - inc[
        "depreciation_amortization"]
    b["retained_earnings"] = prev["retained_earnings"] + inc["net_income"] - dividends
    b["treasury_stock"] = prev["treasury_stock"] + buyback
    c.update(operating_cash_flow=cfo, capital_expenditure=capex, investing_cash_flow=-capex,
             net_debt_issuance=issuance, share_repurchase=buyback, dividends_paid=dividends,
             financing_cash_flow=issuance - buyback - dividends, free_cash_flow=cfo - capex)
    c["net_change_in_cash"] = cfo - capex + c["financing_cash_flow"]
    return {"income": inc, "balance": _totals(b), "cash_flow": c}


def annual_items(statement: StatementType, quarters: list[dict[str, float]]) -> dict[str, float]:
    """A fiscal year from its four quarters: flows summed, levels from the last quarter."""
    last = quarters[-1]
    out: dict[str, float] = {}
    for name in last:
        kind = account(statement, name).kind
        if kind is Kind.FLOW:
            out[name] = sum(q[name] for q in quarters)
        elif kind is Kind.STOCK or (kind is Kind.SHARES and statement is StatementType.BALANCE):
            out[name] = last[name]
    if statement is StatementType.INCOME:
        basic = round(sum(q["shares_basic"] for q in quarters) / len(quarters))
        diluted = round(sum(q["shares_diluted"] for q in quarters) / len(quarters))
        out.update(shares_basic=basic, shares_diluted=diluted,
                   eps_basic=round(out["net_income"] / basic, 4),
                   eps_diluted=round(out["net_income"] / diluted, 4),
                   dividends_per_share=round(sum(q["dividends_per_share"] for q in quarters), 4))
    return out
