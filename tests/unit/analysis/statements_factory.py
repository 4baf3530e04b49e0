"""Small hand-made statements for ratio, growth and valuation tests: round numbers one can
check on paper."""

from __future__ import annotations

from datetime import date, timedelta

from stockflow.analysis.accounts import StatementType, empty
from stockflow.analysis.domain import PeriodType, Statement
from stockflow.analysis.periods import PeriodData

I, B, C = StatementType.INCOME, StatementType.BALANCE, StatementType.CASH_FLOW

INCOME = {"revenue": 1000, "cost_of_revenue": 600, "gross_profit": 400,
          "research_development": 50, "selling_general_admin": 100,
          "depreciation_amortization": 50, "operating_expenses": 200, "operating_income": 200,
          "interest_expense": 20, "pretax_income": 180, "income_tax": 36, "net_income": 144,
          "eps_basic": 1.44, "eps_diluted": 1.40, "shares_basic": 100, "shares_diluted": 103}
BALANCE = {"cash": 100, "short_term_investments": 50, "receivables": 150, "inventory": 100,
           "other_current_assets": 0, "total_current_assets": 400,
           "property_plant_equipment": 500, "goodwill_intangibles": 100,
           "other_noncurrent_assets": 0, "total_assets": 1000, "accounts_payable": 80,
           "short_term_debt": 20, "other_current_liabilities": 100,
           "total_current_liabilities": 200, "long_term_debt": 180,
           "other_noncurrent_liabilities": 20, "total_liabilities": 400, "common_stock": 200,
           "retained_earnings": 400, "treasury_stock": 0, "total_equity": 600,
           "noncontrolling_interest": 0, "shares_outstanding": 100}
CASH = {"net_income": 144, "depreciation_amortization": 50, "change_receivables": -10,
        "change_inventory": -5, "change_payables": 5, "change_other_working_capital": 0,
        "other_operating": 0, "operating_cash_flow": 184, "capital_expenditure": 84,
        "investing_cash_flow": -84, "dividends_paid": 40, "share_repurchase": 10,
        "financing_cash_flow": -50, "net_change_in_cash": 50, "free_cash_flow": 100}


def statement(kind: StatementType, items: dict, end: date,
              period: PeriodType = PeriodType.ANNUAL) -> Statement:
    return Statement(ticker="TEST", statement=kind, period=period, fiscal_year=end.year,
                     fiscal_quarter=None if period is PeriodType.ANNUAL else 4,
                     start=end - timedelta(days=364), end=end, currency="USD",
                     items=empty(kind) | items, source="test")


def period(end: date = date(2025, 12, 31), *, income=None, balance=None, cash=None,
           kind: PeriodType = PeriodType.ANNUAL) -> PeriodData:
    return PeriodData(kind, end, end.year, None, {
        I: statement(I, INCOME | (income or {}), end, kind),
        B: statement(B, BALANCE | (balance or {}), end, kind),
        C: statement(C, CASH | (cash or {}), end, kind)})
