"""StockFlow's one chart of accounts: every vendor's line items are mapped onto these names.

Sign convention: section totals are signed (investing_cash_flow is usually negative), while
payments named as such (capital_expenditure, dividends_paid, share_repurchase, income_tax,
interest_expense) are positive amounts of money going out. Money is in the statement's
currency units; per-share items are per share; share counts are shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StatementType(StrEnum):
    INCOME = "income"
    BALANCE = "balance"
    CASH_FLOW = "cash_flow"


class Kind(StrEnum):
    FLOW = "flow"           # accumulates over the period: summed into years, differenced
    STOCK = "stock"         # a level at the period end: the annual value is the Q4 value
    PER_SHARE = "per_share"
    SHARES = "shares"


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    statement: StatementType
    kind: Kind
    label: str


def _accounts(statement: StatementType, kind: Kind, *rows: tuple[str, str]) -> list[Account]:
    return [Account(name, statement, kind, label) for name, label in rows]


_I, _B, _C = StatementType.INCOME, StatementType.BALANCE, StatementType.CASH_FLOW

ACCOUNTS: tuple[Account, ...] = tuple(
    _accounts(_I, Kind.FLOW,
              ("revenue", "Total revenue"), ("cost_of_revenue", "Cost of revenue"),
              ("gross_profit", "Gross profit"), ("research_development", "Research & development"),
              ("selling_general_admin", "Selling, general & administrative"),
              ("depreciation_amortization", "Depreciation & amortisation"),
              ("operating_expenses", "Total operating expenses"),
              ("operating_income", "Operating income"), ("interest_income", "Interest income"),
              ("interest_expense", "Interest expense"), ("other_income", "Other income, net"),
              ("pretax_income", "Income before tax"), ("income_tax", "Income tax expense"),
              ("net_income", "Net income"), ("ebitda", "EBITDA"))
    + _accounts(_I, Kind.PER_SHARE, ("eps_basic", "EPS, basic"), ("eps_diluted", "EPS, diluted"),
                ("dividends_per_share", "Dividends declared per share"))
    + _accounts(_I, Kind.SHARES, ("shares_basic", "Weighted average shares, basic"),
                ("shares_diluted", "Weighted average shares, diluted"))
    + _accounts(_B, Kind.STOCK,
                ("cash", "Cash & equivalents"), ("short_term_investments", "Short-term investments"),
                ("receivables", "Receivables"), ("inventory", "Inventory"),
                ("other_current_assets", "Other current assets"),
                ("total_current_assets", "Total current assets"),
                ("property_plant_equipment", "Property, plant & equipment, net"),
                ("goodwill_intangibles", "Goodwill & intangibles"),
                ("other_noncurrent_assets", "Other non-current assets"),
                ("total_assets", "Total assets"), ("accounts_payable", "Accounts payable"),
                ("short_term_debt", "Short-term debt"),
                ("other_current_liabilities", "Other current liabilities"),
                ("total_current_liabilities", "Total current liabilities"),
                ("long_term_debt", "Long-term debt"),
                ("other_noncurrent_liabilities", "Other non-current liabilities"),
                ("total_liabilities", "Total liabilities"),
                ("common_stock", "Common stock & paid-in capital"),
                ("retained_earnings", "Retained earnings"), ("treasury_stock", "Treasury stock"),
                ("total_equity", "Total shareholders' equity"),
                ("noncontrolling_interest", "Non-controlling interest"))
    + _accounts(_B, Kind.SHARES, ("shares_outstanding", "Shares outstanding"))
    + _accounts(_C, Kind.FLOW,
                ("net_income", "Net income"),
                ("depreciation_amortization", "Depreciation & amortisation"),
                ("change_receivables", "Change in receivables"),
                ("change_inventory", "Change in inventory"),
                ("change_payables", "Change in payables"),
                ("change_other_working_capital", "Change in other working capital"),
                ("other_operating", "Other operating items"),
                ("operating_cash_flow", "Cash from operations"),
                ("capital_expenditure", "Capital expenditure"),
                ("other_investing", "Other investing items"),
                ("investing_cash_flow", "Cash from investing"),
                ("net_debt_issuance", "Debt issued less repaid"),
                ("share_repurchase", "Repurchase of shares"),
                ("dividends_paid", "Dividends paid"), ("other_financing", "Other financing items"),
                ("financing_cash_flow", "Cash from financing"),
                ("net_change_in_cash", "Net change in cash"),
                ("free_cash_flow", "Free cash flow")))

BY_STATEMENT: dict[StatementType, tuple[Account, ...]] = {
    s: tuple(a for a in ACCOUNTS if a.statement is s) for s in StatementType}


def names(statement: StatementType) -> tuple[str, ...]:
    return tuple(a.name for a in BY_STATEMENT[statement])


def account(statement: StatementType, name: str) -> Account:
    for a in BY_STATEMENT[statement]:
        if a.name == name:
            return a
    raise KeyError(f"{statement}.{name} is not in the chart of accounts")


def empty(statement: StatementType) -> dict[str, float | None]:
    """Every line of a statement, all None: what a vendor lacks stays None, never invented."""
    return dict.fromkeys(names(statement))
