"""Yahoo `quoteSummary` fundamentals: income, balance-sheet and cash-flow history (annual and
quarterly) and key statistics.

Since 2024 Yahoo sends `{"raw": 0, "fmt": null}` for the lines it no longer fills (cost of
revenue, gross profit…); those are None here, not zero. Its balance-sheet rows now carry only
`endDate` and its cash-flow rows only `netIncome`: the mapping still names every line Yahoo has
sent in these modules, so whatever it fills again is read, and what it leaves out stays None
(the statement is kept, flagged `empty` when nothing could be read). Like /v7/finance/quote, quoteSummary
may ask for a cookie and crumb, which this adapter does not obtain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stockflow.adapters.providers.yahoo import parse
from stockflow.adapters.providers.yahoo.provider import YahooProvider
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import CompanyProfile, FactSource, PeriodType, Statement
from stockflow.analysis.normalise import map_row, number, row_flags
from stockflow.core.resilience.errors import ProviderBadData, ProviderNotFound
from stockflow.market.domain import normalise_ticker

NAME = parse.NAME
INCOME_LINES: dict[str, tuple[str, ...]] = {
    "revenue": ("totalRevenue",), "cost_of_revenue": ("costOfRevenue",),
    "gross_profit": ("grossProfit",), "research_development": ("researchDevelopment",),
    "selling_general_admin": ("sellingGeneralAdministrative",),
    "operating_expenses": ("totalOperatingExpenses",), "operating_income": ("operatingIncome",),
    "interest_expense": ("interestExpense",), "pretax_income": ("incomeBeforeTax",),
    "income_tax": ("incomeTaxExpense",), "net_income": ("netIncome",)}
BALANCE_LINES: dict[str, tuple[str, ...]] = {
    "cash": ("cash",), "short_term_investments": ("shortTermInvestments",),
    "receivables": ("netReceivables",), "inventory": ("inventory",),
    "other_current_assets": ("otherCurrentAssets",),
    "total_current_assets": ("totalCurrentAssets",),
    "property_plant_equipment": ("propertyPlantEquipment",),
    "other_noncurrent_assets": ("otherAssets",), "total_assets": ("totalAssets",),
    "accounts_payable": ("accountsPayable",), "short_term_debt": ("shortLongTermDebt",),
    "other_current_liabilities": ("otherCurrentLiab",),
    "total_current_liabilities": ("totalCurrentLiabilities",),
    "long_term_debt": ("longTermDebt",), "other_noncurrent_liabilities": ("otherLiab",),
    "total_liabilities": ("totalLiab",), "common_stock": ("commonStock",),
    "retained_earnings": ("retainedEarnings",), "total_equity": ("totalStockholderEquity",),
    "noncontrolling_interest": ("minorityInterest",)}
# Our goodwill_intangibles is one line; Yahoo splits it in two (summed when either is there).
# treasuryStock is left out: Yahoo's has held other comprehensive income too.
INTANGIBLES = ("goodWill", "intangibleAssets")
CASH_FLOW_LINES: dict[str, tuple[str, ...]] = {
    "net_income": ("netIncome",), "depreciation_amortization": ("depreciation",),
    "change_receivables": ("changeToAccountReceivables",),
    "change_inventory": ("changeToInventory",), "change_payables": ("changeToLiabilities",),
    "other_operating": ("changeToOperatingActivities",),
    "operating_cash_flow": ("totalCashFromOperatingActivities",),
    "capital_expenditure": ("capitalExpenditures",),
    "other_investing": ("otherCashflowsFromInvestingActivities",),
    "investing_cash_flow": ("totalCashflowsFromInvestingActivities",),
    "net_debt_issuance": ("netBorrowings",), "share_repurchase": ("repurchaseOfStock",),
    "dividends_paid": ("dividendsPaid",),
    "other_financing": ("otherCashflowsFromFinancingActivities",),
    "financing_cash_flow": ("totalCashFromFinancingActivities",),
    "net_change_in_cash": ("changeInCash",)}
# Yahoo signs these as cash moving (money out is negative); the chart of accounts holds them as
# positive payments, so they are negated.
OUTFLOWS = ("capital_expenditure", "share_repurchase", "dividends_paid")
# module → (rows key, statement, period, line map)
MODULES: dict[str, tuple[str, StatementType, PeriodType, dict[str, tuple[str, ...]]]] = {
    "incomeStatementHistory": ("incomeStatementHistory", StatementType.INCOME,
                               PeriodType.ANNUAL, INCOME_LINES),
    "incomeStatementHistoryQuarterly": ("incomeStatementHistory", StatementType.INCOME,
                                        PeriodType.QUARTER, INCOME_LINES),
    "balanceSheetHistory": ("balanceSheetStatements", StatementType.BALANCE,
                            PeriodType.ANNUAL, BALANCE_LINES),
    "balanceSheetHistoryQuarterly": ("balanceSheetStatements", StatementType.BALANCE,
                                     PeriodType.QUARTER, BALANCE_LINES),
    "cashflowStatementHistory": ("cashflowStatements", StatementType.CASH_FLOW,
                                 PeriodType.ANNUAL, CASH_FLOW_LINES),
    "cashflowStatementHistoryQuarterly": ("cashflowStatements", StatementType.CASH_FLOW,
                                          PeriodType.QUARTER, CASH_FLOW_LINES)}


def _result(body: Any, ticker: str) -> dict[str, Any]:
    err = parse.envelope_error(body)
    if err is not None:
        raise err
    try:
        result = body["quoteSummary"]["result"][0]
    except (KeyError, IndexError, TypeError):
        raise ProviderNotFound(NAME, f"quoteSummary has no result for {ticker!r}") from None
    if not isinstance(result, dict):
        raise ProviderBadData(NAME, "quoteSummary result is not an object")
    return result


def _items(statement: StatementType, row: dict[str, Any], lines: dict[str, tuple[str, ...]]
           ) -> tuple[dict[str, Any], dict[str, FactSource]]:
    items, facts = map_row(statement, row, lines, NAME)
    if statement is StatementType.BALANCE:
        parts = [(k, v) for k in INTANGIBLES if (v := number(row.get(k))) is not None]
        if parts:
            items["goodwill_intangibles"] = sum(v for _, v in parts)
            facts["goodwill_intangibles"] = FactSource(
                NAME, concept="+".join(k for k, _ in parts), method="computed")
    elif statement is StatementType.CASH_FLOW:
        for name in OUTFLOWS:
            if items[name] is not None:
                items[name] = -items[name]
    return items, facts


def statements(body: Any, ticker: str) -> list[Statement]:
    """Every statement row of the modules the body holds; a module it lacks gives none."""
    result = _result(body, ticker)
    out: list[Statement] = []
    for module, (key, statement, period, lines) in MODULES.items():
        for row in (result.get(module) or {}).get(key) or []:
            stamp = number((row.get("endDate") or {}).get("raw"))
            if stamp is None:
                raise ProviderBadData(NAME, f"{module} row without an endDate")
            end = datetime.fromtimestamp(stamp, UTC).date()
            items, facts = _items(statement, row, lines)
            back = 364 if period is PeriodType.ANNUAL else 90
            out.append(Statement(
                ticker=ticker, statement=statement, period=period,
                fiscal_year=end.year, fiscal_quarter=None, start=end - timedelta(days=back),
                end=end, currency="USD", items=items, source=NAME, facts=facts,
                flags=row_flags(row, lines, facts)))
    return out


def key_statistics(body: Any, ticker: str) -> CompanyProfile:
    result = _result(body, ticker)
    stats = result.get("defaultKeyStatistics") or {}
    data = result.get("financialData") or {}
    shares = number(stats.get("sharesOutstanding"))
    return CompanyProfile(ticker=ticker, currency=data.get("financialCurrency"),
                          shares_outstanding=int(shares) if shares is not None else None,
                          beta=number(stats.get("beta")), source=NAME)


class YahooFundamentals(YahooProvider):
    async def statements(self, ticker: str) -> list[Statement]:
        sym = self._vendor(ticker)
        body = await self.get_json(f"/v10/finance/quoteSummary/{sym}",
                                   {"modules": ",".join(MODULES), "formatted": "false"})
        return statements(body, normalise_ticker(ticker))

    async def profile(self, ticker: str) -> CompanyProfile:
        sym = self._vendor(ticker)
        body = await self.get_json(f"/v10/finance/quoteSummary/{sym}",
                                   {"modules": "defaultKeyStatistics,financialData",
                                    "formatted": "false"})
        return key_statistics(body, normalise_ticker(ticker))
