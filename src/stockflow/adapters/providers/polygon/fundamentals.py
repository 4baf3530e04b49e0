"""Polygon `vX/reference/financials`: statements Polygon extracts from XBRL filings.

Each result is one filing's period with `balance_sheet`, `income_statement` and
`cash_flow_statement` objects of `{label, order, unit, value}`; the source filing URL ends in
the accession number, which every number carries. TTM rows are skipped: StockFlow sums its own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from stockflow.adapters.providers.polygon import parse
from stockflow.adapters.providers.polygon.provider import PolygonProvider
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import FactSource, PeriodType, Statement
from stockflow.analysis.normalise import map_row, row_flags
from stockflow.core.resilience.errors import ProviderBadData
from stockflow.market.domain import normalise_ticker

NAME = parse.NAME
_I, _B, _C = StatementType.INCOME, StatementType.BALANCE, StatementType.CASH_FLOW
SECTIONS = {_I: "income_statement", _B: "balance_sheet", _C: "cash_flow_statement"}
LINES: dict[StatementType, dict[str, tuple[str, ...]]] = {
    _I: {"revenue": ("revenues",), "cost_of_revenue": ("cost_of_revenue",),
         "gross_profit": ("gross_profit",),
         "research_development": ("research_and_development",),
         "selling_general_admin": ("selling_general_and_administrative_expenses",),
         "operating_expenses": ("operating_expenses",),
         "operating_income": ("operating_income_loss",),
         "interest_expense": ("interest_expense_operating",),
         "pretax_income": ("income_loss_from_continuing_operations_before_tax",),
         "income_tax": ("income_tax_expense_benefit",),
         "net_income": ("net_income_loss_attributable_to_parent", "net_income_loss"),
         "eps_basic": ("basic_earnings_per_share",),
         "eps_diluted": ("diluted_earnings_per_share",)},
    _B: {"total_assets": ("assets",), "total_current_assets": ("current_assets",),
         "property_plant_equipment": ("fixed_assets",), "inventory": ("inventory",),
         "total_liabilities": ("liabilities",),
         "total_current_liabilities": ("current_liabilities",),
         "total_equity": ("equity_attributable_to_parent", "equity"),
         "noncontrolling_interest": ("equity_attributable_to_noncontrolling_interest",)},
    _C: {"operating_cash_flow": ("net_cash_flow_from_operating_activities",),
         "investing_cash_flow": ("net_cash_flow_from_investing_activities",),
         "financing_cash_flow": ("net_cash_flow_from_financing_activities",),
         "net_change_in_cash": ("net_cash_flow",)},
}
_QUARTERS = {"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4}


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


def _result(row: dict[str, Any], ticker: str) -> list[Statement]:
    period = row.get("fiscal_period")
    if period not in _QUARTERS and period != "FY":
        return []
    start, end = _date(row.get("start_date")), _date(row.get("end_date"))
    if start is None or end is None:
        raise ProviderBadData(NAME, f"financials row without start/end dates: {period}")
    filed = _date(row.get("filing_date"))
    accession = str(row.get("source_filing_url") or "").rstrip("/").rsplit("/", 1)[-1] or None
    out = []
    for statement, section in SECTIONS.items():
        lines = (row.get("financials") or {}).get(section) or {}
        items, facts = map_row(statement, lines, LINES[statement], NAME, filed)
        facts = {k: FactSource(NAME, concept=f.concept, accession=accession, filed=filed)
                 for k, f in facts.items()}
        out.append(Statement(
            ticker=ticker, statement=statement,
            period=PeriodType.ANNUAL if period == "FY" else PeriodType.QUARTER,
            fiscal_year=int(row.get("fiscal_year") or end.year),
            fiscal_quarter=_QUARTERS.get(period), start=start, end=end, currency="USD",
            items=items, source=NAME, filed=filed, facts=facts,
            flags=row_flags(lines, LINES[statement], facts)))
    return out


def financials(body: Any, ticker: str) -> list[Statement]:
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise ProviderBadData(NAME, "financials body without a 'results' list")
    return [s for row in body["results"] if isinstance(row, dict) for s in _result(row, ticker)]


class PolygonFundamentals(PolygonProvider):
    """FundamentalsSource over Polygon: the latest `limit` filings, quarterly and annual."""

    def __init__(self, *args: Any, limit: int = 40, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit

    async def statements(self, ticker: str) -> list[Statement]:
        sym = self._vendor(ticker)
        out: list[Statement] = []
        for timeframe in ("quarterly", "annual"):
            body = await self.get_json("/vX/reference/financials", {
                "ticker": sym, "timeframe": timeframe, "limit": self.limit,
                "order": "desc", "sort": "period_of_report_date"})
            out += financials(body, normalise_ticker(ticker))
        return out
