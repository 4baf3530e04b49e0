"""Alpha Vantage fundamentals: OVERVIEW, INCOME_STATEMENT, BALANCE_SHEET, CASH_FLOW, EARNINGS.

Rows carry only `fiscalDateEnding`; the fiscal year end month comes from OVERVIEW. Reported
EPS comes from EARNINGS (Alpha Vantage's income statement has none).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from stockflow.adapters.providers.alphavantage import parse
from stockflow.adapters.providers.alphavantage.provider import AlphaVantageProvider
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import CompanyProfile, FactSource, PeriodType, Statement
from stockflow.analysis.normalise import fiscal_label, map_row, month_number, number, row_flags
from stockflow.core.resilience.errors import ProviderBadData, ProviderNotFound

NAME = parse.NAME
_I, _B, _C = StatementType.INCOME, StatementType.BALANCE, StatementType.CASH_FLOW

LINES: dict[StatementType, dict[str, tuple[str, ...]]] = {
    _I: {"revenue": ("totalRevenue",), "cost_of_revenue": ("costOfRevenue",),
         "gross_profit": ("grossProfit",), "research_development": ("researchAndDevelopment",),
         "selling_general_admin": ("sellingGeneralAndAdministrative",),
         "depreciation_amortization": ("depreciationAndAmortization",),
         "operating_expenses": ("operatingExpenses",), "operating_income": ("operatingIncome",),
         "interest_income": ("interestIncome",), "interest_expense": ("interestExpense",),
         "other_income": ("otherNonOperatingIncome",), "pretax_income": ("incomeBeforeTax",),
         "income_tax": ("incomeTaxExpense",), "net_income": ("netIncome",),
         "ebitda": ("ebitda",)},
    _B: {"cash": ("cashAndCashEquivalentsAtCarryingValue",),
         "short_term_investments": ("shortTermInvestments",),
         "receivables": ("currentNetReceivables",), "inventory": ("inventory",),
         "other_current_assets": ("otherCurrentAssets",),
         "total_current_assets": ("totalCurrentAssets",),
         "property_plant_equipment": ("propertyPlantEquipment",),
         "goodwill_intangibles": ("intangibleAssets",),
         "other_noncurrent_assets": ("otherNonCurrrentAssets", "otherNonCurrentAssets"),
         "total_assets": ("totalAssets",), "accounts_payable": ("currentAccountsPayable",),
         "short_term_debt": ("shortTermDebt",),
         "other_current_liabilities": ("otherCurrentLiabilities",),
         "total_current_liabilities": ("totalCurrentLiabilities",),
         "long_term_debt": ("longTermDebtNoncurrent",),
         "other_noncurrent_liabilities": ("otherNonCurrentLiabilities",),
         "total_liabilities": ("totalLiabilities",), "common_stock": ("commonStock",),
         "retained_earnings": ("retainedEarnings",), "treasury_stock": ("treasuryStock",),
         "total_equity": ("totalShareholderEquity",),
         "shares_outstanding": ("commonStockSharesOutstanding",)},
    # changeInReceivables/changeInInventory are left out: their sign is undocumented.
    _C: {"net_income": ("netIncome", "profitLoss"),
         "depreciation_amortization": ("depreciationDepletionAndAmortization",),
         "operating_cash_flow": ("operatingCashflow",),
         "capital_expenditure": ("capitalExpenditures",),
         "investing_cash_flow": ("cashflowFromInvestment",),
         "share_repurchase": ("paymentsForRepurchaseOfCommonStock",),
         "dividends_paid": ("dividendPayout",),
         "financing_cash_flow": ("cashflowFromFinancing",),
         "net_change_in_cash": ("changeInCashAndCashEquivalents",)},
}
FUNCTIONS = {_I: "INCOME_STATEMENT", _B: "BALANCE_SHEET", _C: "CASH_FLOW"}
_PERIODS = {"annualReports": PeriodType.ANNUAL, "quarterlyReports": PeriodType.QUARTER}


def _end(row: Any) -> date | None:
    try:
        return date.fromisoformat(str(row.get("fiscalDateEnding")))
    except (AttributeError, ValueError):
        return None


def statements(body: Any, statement: StatementType, ticker: str,
               fye_month: int = 12) -> list[Statement]:
    """One body of INCOME_STATEMENT, BALANCE_SHEET or CASH_FLOW as Statements."""
    function = FUNCTIONS[statement]
    if not isinstance(body, dict) or not any(k in body for k in _PERIODS):
        raise ProviderBadData(NAME, f"{function} body without annualReports/quarterlyReports")
    out: list[Statement] = []
    rows = [(period, row) for key, period in _PERIODS.items() for row in body.get(key) or []]
    for period, row in rows:
        end = _end(row)
        if end is None:
            continue              # no period, nothing to file it under; the rest is kept
        items, facts = map_row(statement, row, LINES[statement], NAME)
        fy, fq = fiscal_label(end, fye_month)
        back = 364 if period is PeriodType.ANNUAL else 90
        out.append(Statement(
            ticker=ticker, statement=statement, period=period, fiscal_year=fy,
            fiscal_quarter=fq if period is PeriodType.QUARTER else None,
            start=end - timedelta(days=back), end=end,
            currency=str(row.get("reportedCurrency") or "USD"), items=items, source=NAME,
            facts=facts, flags=row_flags(row, LINES[statement], facts)))
    if rows and not out:
        raise ProviderBadData(NAME, f"no {function} row has a readable fiscalDateEnding")
    return out


def add_earnings(income: list[Statement], body: Any) -> list[Statement]:
    """Reported EPS from EARNINGS onto the income statements of the same period end."""
    eps: dict[tuple[PeriodType, date], float] = {}
    for key, period in (("annualEarnings", PeriodType.ANNUAL),
                        ("quarterlyEarnings", PeriodType.QUARTER)):
        for row in (body or {}).get(key) or []:
            value, end = number(row.get("reportedEPS")), _end(row)
            if value is not None and end is not None:
                eps[(period, end)] = value
    out = []
    for s in income:
        value = eps.get((s.period, s.end))
        if value is None:
            out.append(s)
            continue
        facts = s.facts | {"eps_diluted": FactSource(NAME, concept="EARNINGS.reportedEPS")}
        out.append(Statement(**{**{f: getattr(s, f) for f in Statement.__dataclass_fields__},
                                "items": s.items | {"eps_diluted": value}, "facts": facts}))
    return out


def profile(body: Any, ticker: str) -> CompanyProfile:
    if not isinstance(body, dict) or not body.get("Symbol"):
        raise ProviderNotFound(NAME, f"OVERVIEW has no company {ticker!r}")
    shares, cap = number(body.get("SharesOutstanding")), number(body.get("MarketCapitalization"))
    return CompanyProfile(
        ticker=ticker, name=body.get("Name"), cik=str(body["CIK"]).zfill(10) if body.get(
            "CIK") else None, exchange=body.get("Exchange"), currency=body.get("Currency"),
        country=body.get("Country"), sector=body.get("Sector"), industry=body.get("Industry"),
        description=body.get("Description"), fiscal_year_end=body.get("FiscalYearEnd"),
        shares_outstanding=int(shares) if shares is not None else None,
        market_cap=cap, beta=number(body.get("Beta")),
        dividend_per_share=number(body.get("DividendPerShare")), source=NAME)


class AlphaVantageFundamentals(AlphaVantageProvider):
    """FundamentalsSource over Alpha Vantage: five calls per company, one at a time."""

    async def profile(self, ticker: str) -> CompanyProfile:
        sym = self._vendor(ticker)
        return profile(await self.get_json("/query", {"function": "OVERVIEW", "symbol": sym}),
                       sym)

    async def statements(self, ticker: str) -> list[Statement]:
        company = await self.profile(ticker)
        fye = month_number(company.fiscal_year_end)
        out: list[Statement] = []
        for statement, function in FUNCTIONS.items():
            body = await self.get_json("/query", {"function": function, "symbol": company.ticker})
            out += statements(body, statement, company.ticker, fye)
        earnings = await self.get_json("/query", {"function": "EARNINGS", "symbol":
                                                  company.ticker})
        income = add_earnings([s for s in out if s.statement is _I], earnings)
        return income + [s for s in out if s.statement is not _I]
