"""Alpha Vantage, Polygon and Yahoo fundamentals over a real local HTTP server with the
vendors' own bodies: normalised lines, missing ones None, errors and rate limits typed."""

from __future__ import annotations

from datetime import date

import pytest

from stockflow.adapters.providers.alphavantage.fundamentals import AlphaVantageFundamentals
from stockflow.adapters.providers.polygon.fundamentals import PolygonFundamentals
from stockflow.adapters.providers.yahoo.fundamentals import YahooFundamentals
from stockflow.adapters.providers.yahoo.fundamentals import statements as yahoo_statements
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import PeriodType
from stockflow.analysis.identities import balance_breaches, cash_flow_breaches
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderNotFound,
    ProviderRateLimited,
)
from tests.providers.conftest import payload_json
from tests.providers.fundamentals_server import serve

I, B, C = StatementType.INCOME, StatementType.BALANCE, StatementType.CASH_FLOW
AV = {"OVERVIEW": "overview_IBM", "INCOME_STATEMENT": "income_statement_IBM",
      "BALANCE_SHEET": "balance_sheet_IBM", "CASH_FLOW": "cash_flow_IBM",
      "EARNINGS": "earnings_IBM"}


@pytest.fixture
def server():
    yield from serve()


def _one(statements, kind, period, end):
    found = [s for s in statements if s.statement is kind and s.period is period
             and s.end == end]
    assert len(found) == 1
    return found[0]


@pytest.fixture
async def av(server):
    for function, name in AV.items():
        server.route("/query", f"alphavantage/{name}.json", match={"function": function})
    p = AlphaVantageFundamentals("AVKEY", base_url=server.url, timeout=2)
    yield p
    await p.aclose()


async def test_alphavantage_statements(server, av) -> None:
    st = await av.statements("IBM")
    q3 = _one(st, I, PeriodType.QUARTER, date(2021, 9, 30))
    assert (q3.fiscal_year, q3.fiscal_quarter) == (2021, 3)
    assert (q3.items["revenue"], q3.items["net_income"]) == (17_618_000_000, 1_130_000_000)
    assert q3.facts["revenue"].concept == "totalRevenue"
    year = _one(st, I, PeriodType.ANNUAL, date(2020, 12, 31))
    assert year.items["eps_diluted"] == 8.67                     # from EARNINGS
    assert year.facts["eps_diluted"].concept == "EARNINGS.reportedEPS"
    bal = _one(st, B, PeriodType.ANNUAL, date(2020, 12, 31))
    assert bal.items["total_assets"] == 155_971_000_000
    assert balance_breaches(bal.items, 0.001, components=False) == []
    cf = _one(st, C, PeriodType.QUARTER, date(2021, 9, 30))
    assert cf.items["change_receivables"] is None                # not mapped: sign undocumented
    assert cf.items["capital_expenditure"] == 558_000_000
    functions = [r.query["function"][0] for r in server.requests]
    assert functions == ["OVERVIEW", "INCOME_STATEMENT", "BALANCE_SHEET", "CASH_FLOW",
                         "EARNINGS"]


async def test_alphavantage_profile(av) -> None:
    p = await av.profile("IBM")
    assert (p.name, p.cik, p.fiscal_year_end, p.shares_outstanding, p.beta) == (
        "International Business Machines Corporation", "0000051143", "December", 896_320_000,
        1.102)


async def test_alphavantage_rate_limit_note_at_200(server, av) -> None:
    server.route("/query", "alphavantage/note_rate_limit_5_per_minute.json",
                 match={"function": "BALANCE_SHEET"})
    with pytest.raises(ProviderRateLimited):
        await av.statements("IBM")


async def test_alphavantage_missing_reports_is_bad_data(server, av) -> None:
    server.route("/query", body={"symbol": "IBM"}, match={"function": "CASH_FLOW"})
    with pytest.raises(ProviderBadData, match="annualReports"):
        await av.statements("IBM")


@pytest.fixture
async def polygon(server):
    p = PolygonFundamentals("PGKEY", base_url=server.url, timeout=2)
    yield p
    await p.aclose()


async def test_polygon_financials(server, polygon) -> None:
    server.route("/vX/reference/financials", "polygon/vX_reference_financials_client_mock.json",
                 match={"timeframe": "quarterly"})
    server.route("/vX/reference/financials", body={"results": [], "status": "OK"},
                 match={"timeframe": "annual"})
    st = await polygon.statements("NXPI")
    inc = _one(st, I, PeriodType.QUARTER, date(2022, 4, 3))
    assert (inc.items["revenue"], inc.items["net_income"], inc.items["eps_diluted"]) == (
        3_136_000_000, 657_000_000, 2.48)
    assert inc.facts["revenue"].accession == "0001413447-22-000014"
    assert inc.items["research_development"] is None
    bal = _one(st, B, PeriodType.QUARTER, date(2022, 4, 3))
    # Assets = liabilities + parent equity + non-controlling interest, to the dollar.
    assert balance_breaches(bal.items, components=False) == []
    cf = _one(st, C, PeriodType.QUARTER, date(2022, 4, 3))
    assert cash_flow_breaches(cf.items, components=False) == []
    assert server.requests[0].headers["authorization"] == "Bearer PGKEY"


async def test_polygon_not_authorized(server, polygon) -> None:
    server.route("/vX/reference/financials", "polygon/error_not_authorized_entitlement.json",
                 status=403)
    with pytest.raises(ProviderAuthError):
        await polygon.statements("NXPI")


async def test_polygon_429(server, polygon) -> None:
    server.route("/vX/reference/financials", body={"status": "ERROR"}, status=429,
                 headers={"Retry-After": "12"})
    with pytest.raises(ProviderRateLimited) as caught:
        await polygon.statements("NXPI")
    assert caught.value.retry_after == 12


@pytest.fixture
async def yahoo(server):
    p = YahooFundamentals(base_url=server.url, timeout=2)
    yield p
    await p.aclose()


async def test_yahoo_income_history_placeholders_are_none(server, yahoo) -> None:
    server.route("/v10/finance/quoteSummary/AAPL",
                 "yahoo/v10_quoteSummary_incomeStatementHistory_AAPL.json")
    st = await yahoo.statements("AAPL")
    year = _one(st, I, PeriodType.ANNUAL, date(2024, 9, 30))
    assert (year.items["revenue"], year.items["net_income"]) == (391_035_000_000,
                                                                 93_736_000_000)
    # {"raw": 0, "fmt": null} is Yahoo's "not available", not a zero cost of revenue.
    assert year.items["cost_of_revenue"] is None and year.items["gross_profit"] is None


YAHOO_STATEMENTS = ("incomeStatementHistory", "balanceSheetHistory", "cashflowStatementHistory")


def _yahoo_summary(*modules: str) -> dict:
    """One quoteSummary body holding several modules, as Yahoo answers `modules=a,b,c`: the
    `result[0]` objects of the recorded one-module bodies side by side."""
    merged: dict = {}
    for m in modules:
        merged |= payload_json(f"yahoo/v10_quoteSummary_{m}_AAPL.json")["quoteSummary"][
            "result"][0]
    return {"quoteSummary": {"result": [merged], "error": None}}


async def test_yahoo_balance_sheet_and_cash_flow_are_mapped(server, yahoo) -> None:
    server.route("/v10/finance/quoteSummary/AAPL", body=_yahoo_summary(*YAHOO_STATEMENTS))
    st = await yahoo.statements("AAPL")
    modules = server.requests[-1].query["modules"][0].split(",")
    assert {"balanceSheetHistory", "balanceSheetHistoryQuarterly", "cashflowStatementHistory",
            "cashflowStatementHistoryQuarterly"} <= set(modules)
    ends = [date(2024, 9, 30), date(2023, 9, 30), date(2022, 9, 30), date(2021, 9, 30)]
    for end in ends:
        bal = _one(st, B, PeriodType.ANNUAL, end)
        # Yahoo now sends balance-sheet rows with only their endDate: kept, every line null,
        # flagged empty, and nothing invented to make the identity hold.
        assert set(bal.items.values()) == {None} and bal.flags == ("empty",)
        assert not balance_breaches(bal.items)
    cash = _one(st, C, PeriodType.ANNUAL, date(2024, 9, 30))
    assert cash.items["net_income"] == 93_736_000_000
    assert cash.facts["net_income"].concept == "netIncome"
    assert [k for k, v in cash.items.items() if v is not None] == ["net_income"]
    assert _one(st, C, PeriodType.ANNUAL, date(2021, 9, 30)).items["net_income"] == 94_680_000_000
    # The income statement of the same body still links to the cash flow's net income.
    assert _one(st, I, PeriodType.ANNUAL, date(2024, 9, 30)).items["net_income"] == \
        cash.items["net_income"]


def test_yahoo_outflows_become_positive_payments_and_intangibles_sum() -> None:
    body = _yahoo_summary("balanceSheetHistory", "cashflowStatementHistory")
    result = body["quoteSummary"]["result"][0]
    # Lines Yahoo sent in these modules before it blanked them, added to the recorded rows in
    # its own {raw, fmt} shape: money out is negative there, a positive payment here.
    cash_row = result["cashflowStatementHistory"]["cashflowStatements"][0]
    cash_row |= {"capitalExpenditures": {"raw": -9_447_000_000, "fmt": "-9.45B"},
                 "dividendsPaid": {"raw": -15_234_000_000, "fmt": "-15.23B"},
                 "totalCashFromOperatingActivities": {"raw": 118_254_000_000, "fmt": "118B"}}
    bal_row = result["balanceSheetHistory"]["balanceSheetStatements"][0]
    bal_row |= {"goodWill": {"raw": 5_000, "fmt": "5k"},
                "intangibleAssets": {"raw": 700, "fmt": "700"},
                "totalAssets": {"raw": 364_980_000_000, "fmt": "365B"}}
    st = yahoo_statements(body, "AAPL")
    cash = _one(st, C, PeriodType.ANNUAL, date(2024, 9, 30))
    assert cash.items["capital_expenditure"] == 9_447_000_000
    assert cash.items["dividends_paid"] == 15_234_000_000
    assert cash.items["operating_cash_flow"] == 118_254_000_000    # a total keeps its sign
    bal = _one(st, B, PeriodType.ANNUAL, date(2024, 9, 30))
    assert bal.items["goodwill_intangibles"] == 5_700
    assert bal.facts["goodwill_intangibles"].concept == "goodWill+intangibleAssets"
    assert bal.items["total_assets"] == 364_980_000_000 and bal.flags == ()


async def test_yahoo_key_statistics(server, yahoo) -> None:
    server.route("/v10/finance/quoteSummary/AAPL",
                 "yahoo/v10_quoteSummary_defaultKeyStatistics_AAPL.json")
    p = await yahoo.profile("AAPL")
    assert (p.shares_outstanding, p.beta) == (15_022_100_480, 1.2)


async def test_yahoo_404_envelope(server, yahoo) -> None:
    server.route("/v10/finance/quoteSummary/AAPL",
                 "yahoo/v10_quoteSummary_assetProfile_VXAPL_404.json", status=404)
    with pytest.raises(ProviderNotFound):
        await yahoo.statements("AAPL")


async def test_partial_and_malformed_rows_are_kept_and_flagged(server, av) -> None:
    body = {"symbol": "IBM", "annualReports": [
        {"fiscalDateEnding": "2020-12-31", "reportedCurrency": "USD", "totalRevenue": "12x",
         "netIncome": "5590000000", "grossProfit": "None"},
        {"fiscalDateEnding": "not a date", "totalRevenue": "1"}], "quarterlyReports": []}
    server.route("/query", body=body, match={"function": "INCOME_STATEMENT"})
    st = await av.statements("IBM")
    year = _one(st, I, PeriodType.ANNUAL, date(2020, 12, 31))
    assert year.items["net_income"] == 5_590_000_000
    assert year.items["revenue"] is None and year.items["gross_profit"] is None
    assert year.flags == ("malformed:revenue",)          # "None" is missing, "12x" is junk
    assert len([s for s in st if s.statement is I]) == 1  # the undated row is dropped


async def test_no_dated_row_at_all_is_bad_data(server, av) -> None:
    server.route("/query", body={"annualReports": [{"fiscalDateEnding": "?"}]},
                 match={"function": "CASH_FLOW"})
    with pytest.raises(ProviderBadData, match="fiscalDateEnding"):
        await av.statements("IBM")
