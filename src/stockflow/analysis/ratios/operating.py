"""Solvency, efficiency, cash-flow and per-share ratios."""

from __future__ import annotations

from stockflow.analysis.ratios.catalogue import PS, C, E, RatioDef, S, _r
from stockflow.analysis.ratios.inputs import Inputs, add, div, sub


def _days_in(x: Inputs) -> int:
    # Turnover in days uses the period's own length: a quarter's revenue covers 91 days.
    return 91 if x.current.period.value == "quarter" else 365


def _turn(x: Inputs, flow: str, level: str) -> float | None:
    return div(x(flow), x.avg(level))


def _days(x: Inputs, flow: str, level: str) -> float | None:
    return div(_days_in(x), _turn(x, flow, level))


SOLVENCY: list[RatioDef] = [
    _r("debt_to_equity", S, "total_debt / total_equity", lambda x: div(x("total_debt"),
                                                                        x("total_equity"))),
    _r("debt_to_assets", S, "total_debt / total_assets", lambda x: div(x("total_debt"),
                                                                        x("total_assets"))),
    _r("debt_to_capital", S, "total_debt / (total_debt + total_equity)",
       lambda x: div(x("total_debt"), add(x("total_debt"), x("total_equity")))),
    _r("long_term_debt_to_equity", S, "long_term_debt / total_equity",
       lambda x: div(x("long_term_debt"), x("total_equity"))),
    _r("liabilities_to_assets", S, "total_liabilities / total_assets",
       lambda x: div(x("total_liabilities"), x("total_assets"))),
    _r("net_debt", S, "total_debt - cash_and_investments",
       lambda x: sub(x("total_debt"), x("cash_and_investments")), "amount"),
    _r("net_debt_to_ebitda", S, "(total_debt - cash_and_investments) / ebitda_value",
       lambda x: div(sub(x("total_debt"), x("cash_and_investments")), x("ebitda_value"))),
    _r("interest_coverage", S, "ebit / interest_expense", lambda x: div(x("ebit"),
                                                                         x("interest_expense"))),
    _r("equity_multiplier", S, "avg.total_assets / avg.total_equity",
       lambda x: div(x.avg("total_assets"), x.avg("total_equity"))),
    _r("cash_flow_to_debt", S, "operating_cash_flow / total_debt",
       lambda x: div(x("operating_cash_flow"), x("total_debt"))),
]

EFFICIENCY: list[RatioDef] = [
    _r("asset_turnover", E, "revenue / avg.total_assets",
       lambda x: _turn(x, "revenue", "total_assets")),
    _r("fixed_asset_turnover", E, "revenue / avg.property_plant_equipment",
       lambda x: _turn(x, "revenue", "property_plant_equipment")),
    _r("equity_turnover", E, "revenue / avg.total_equity",
       lambda x: _turn(x, "revenue", "total_equity")),
    _r("receivables_turnover", E, "revenue / avg.receivables",
       lambda x: _turn(x, "revenue", "receivables")),
    _r("days_sales_outstanding", E, "days / (revenue / avg.receivables)",
       lambda x: _days(x, "revenue", "receivables"), "days"),
    _r("inventory_turnover", E, "cost_of_revenue / avg.inventory",
       lambda x: _turn(x, "cost_of_revenue", "inventory")),
    _r("days_inventory_outstanding", E, "days / (cost_of_revenue / avg.inventory)",
       lambda x: _days(x, "cost_of_revenue", "inventory"), "days"),
    _r("payables_turnover", E, "cost_of_revenue / avg.accounts_payable",
       lambda x: _turn(x, "cost_of_revenue", "accounts_payable")),
    _r("days_payables_outstanding", E, "days / (cost_of_revenue / avg.accounts_payable)",
       lambda x: _days(x, "cost_of_revenue", "accounts_payable"), "days"),
    _r("cash_conversion_cycle", E, "DSO + DIO - DPO",
       lambda x: sub(add(_days(x, "revenue", "receivables"),
                         _days(x, "cost_of_revenue", "inventory")),
                     _days(x, "cost_of_revenue", "accounts_payable")), "days"),
    _r("working_capital_turnover", E, "revenue / working_capital",
       lambda x: div(x("revenue"), x("working_capital"))),
]

CASH_FLOW: list[RatioDef] = [
    _r("free_cash_flow", C, "operating_cash_flow - capital_expenditure", lambda x: x("fcf"),
       "amount"),
    _r("free_cash_flow_margin", C, "fcf / revenue", lambda x: div(x("fcf"), x("revenue"))),
    _r("operating_cash_flow_margin", C, "operating_cash_flow / revenue",
       lambda x: div(x("operating_cash_flow"), x("revenue"))),
    _r("cash_conversion", C, "operating_cash_flow / net_income",
       lambda x: div(x("operating_cash_flow"), x("net_income"))),
    _r("free_cash_flow_to_net_income", C, "fcf / net_income",
       lambda x: div(x("fcf"), x("net_income"))),
    _r("capex_to_revenue", C, "capital_expenditure / revenue",
       lambda x: div(x("capital_expenditure"), x("revenue"))),
    _r("capex_to_operating_cash_flow", C, "capital_expenditure / operating_cash_flow",
       lambda x: div(x("capital_expenditure"), x("operating_cash_flow"))),
    _r("capex_to_depreciation", C, "capital_expenditure / depreciation_amortization",
       lambda x: div(x("capital_expenditure"), x("depreciation_amortization"))),
    _r("dividend_payout_ratio", C, "dividends_paid / net_income",
       lambda x: div(x("dividends_paid"), x("net_income"))),
    _r("dividend_cover_by_fcf", C, "fcf / dividends_paid",
       lambda x: div(x("fcf"), x("dividends_paid"))),
]

PER_SHARE: list[RatioDef] = [
    _r("eps_basic", PS, "eps_basic (as reported)", lambda x: x("eps_basic"), "per_share"),
    _r("eps_diluted", PS, "eps_diluted (as reported)", lambda x: x("eps_diluted"), "per_share"),
    _r("revenue_per_share", PS, "revenue / shares", lambda x: div(x("revenue"), x("shares")),
       "per_share"),
    _r("book_value_per_share", PS, "total_equity / shares",
       lambda x: div(x("total_equity"), x("shares")), "per_share"),
    _r("tangible_book_value_per_share", PS, "(total_equity - goodwill_intangibles) / shares",
       lambda x: div(sub(x("total_equity"), x("goodwill_intangibles")), x("shares")),
       "per_share"),
    _r("operating_cash_flow_per_share", PS, "operating_cash_flow / shares",
       lambda x: div(x("operating_cash_flow"), x("shares")), "per_share"),
    _r("free_cash_flow_per_share", PS, "fcf / shares", lambda x: div(x("fcf"), x("shares")),
       "per_share"),
    _r("cash_per_share", PS, "cash_and_investments / shares",
       lambda x: div(x("cash_and_investments"), x("shares")), "per_share"),
    _r("dividends_per_share", PS, "dividends_paid / shares",
       lambda x: div(x("dividends_paid"), x("shares")), "per_share"),
]
