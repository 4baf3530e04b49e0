"""Yahoo `quoteSummary` fundamentals: income statement history and key statistics.

Since 2024 Yahoo sends `{"raw": 0, "fmt": null}` for the lines it no longer fills (cost of
revenue, gross profit…); those are None here, not zero. Like /v7/finance/quote, quoteSummary
may ask for a cookie and crumb, which this adapter does not obtain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stockflow.adapters.providers.yahoo import parse
from stockflow.adapters.providers.yahoo.provider import YahooProvider
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import CompanyProfile, PeriodType, Statement
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
MODULES = {"incomeStatementHistory": PeriodType.ANNUAL,
           "incomeStatementHistoryQuarterly": PeriodType.QUARTER}


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


def income_statements(body: Any, ticker: str) -> list[Statement]:
    result = _result(body, ticker)
    out: list[Statement] = []
    for module, period in MODULES.items():
        for row in (result.get(module) or {}).get(module) or []:
            stamp = number((row.get("endDate") or {}).get("raw"))
            if stamp is None:
                raise ProviderBadData(NAME, f"{module} row without an endDate")
            end = datetime.fromtimestamp(stamp, UTC).date()
            items, facts = map_row(StatementType.INCOME, row, INCOME_LINES, NAME)
            back = 364 if period is PeriodType.ANNUAL else 90
            out.append(Statement(
                ticker=ticker, statement=StatementType.INCOME, period=period,
                fiscal_year=end.year, fiscal_quarter=None, start=end - timedelta(days=back),
                end=end, currency="USD", items=items, source=NAME, facts=facts,
                flags=row_flags(row, INCOME_LINES, facts)))
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
        return income_statements(body, normalise_ticker(ticker))

    async def profile(self, ticker: str) -> CompanyProfile:
        sym = self._vendor(ticker)
        body = await self.get_json(f"/v10/finance/quoteSummary/{sym}",
                                   {"modules": "defaultKeyStatistics,financialData",
                                    "formatted": "false"})
        return key_statistics(body, normalise_ticker(ticker))
