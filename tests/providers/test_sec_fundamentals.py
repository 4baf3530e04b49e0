"""SEC EDGAR company facts: periods from dates, YTD differencing, Q4 = FY − 9M, versions, and
the HTTP adapter over a real local server with SEC's bodies, errors and its 429."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from stockflow.adapters.providers.sec.provider import SecEdgarFundamentals
from stockflow.adapters.providers.sec.statements import build_statements
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import PeriodType, Version, select_version
from stockflow.core.resilience.errors import (
    ProviderBadData,
    ProviderNotFound,
    ProviderRateLimited,
)
from tests.providers.conftest import payload_json
from tests.providers.fundamentals_server import serve

APPLE = "sec/companyfacts_CIK0000320193_apple_trimmed.json"
TESLA = "sec/companyfacts_CIK0001318605_tesla_trimmed.json"
I, B, C = StatementType.INCOME, StatementType.BALANCE, StatementType.CASH_FLOW
# SEC's ticker map format (files/company_tickers.json): index → {cik_str, ticker, title}.
TICKERS = {"0": {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."},
           "1": {"cik_str": 1318605, "ticker": "TSLA", "title": "Tesla, Inc."}}


def _find(statements, kind, period, end, revision=None):
    found = [s for s in statements if s.statement is kind and s.period is period
             and s.end == end and (revision is None or s.revision == revision)]
    assert len(found) == 1, (kind, period, end, found)
    return found[0]


def test_ytd_cash_flow_is_differenced_into_quarters() -> None:
    st = build_statements(payload_json(APPLE), "AAPL")
    q2 = _find(st, C, PeriodType.QUARTER, date(2025, 3, 29))
    # 6M 53,887 − Q1 29,935 (the 10-Q gives operating cash flow year-to-date only)
    assert q2.items["operating_cash_flow"] == 53_887_000_000 - 29_935_000_000
    assert q2.facts["operating_cash_flow"].method == "ytd_difference"
    assert q2.facts["operating_cash_flow"].inputs == ("0000320193-25-000008",
                                                      "0000320193-25-000057")
    q3 = _find(st, C, PeriodType.QUARTER, date(2025, 6, 28))
    assert q3.items["operating_cash_flow"] == 81_754_000_000 - 53_887_000_000
    assert (q3.start, q3.fiscal_year, q3.fiscal_quarter) == (date(2025, 3, 30), 2025, 3)


def test_q4_is_the_year_less_nine_months() -> None:
    st = build_statements(payload_json(APPLE), "AAPL")
    q4 = _find(st, I, PeriodType.QUARTER, date(2025, 9, 27))
    assert q4.items["net_income"] == 112_010_000_000 - 84_544_000_000
    assert q4.facts["net_income"].method == "fy_minus_9m"
    assert q4.facts["net_income"].accession == "0000320193-25-000079"
    assert q4.items["eps_diluted"] is None        # per-share figures are never differenced
    year = _find(st, I, PeriodType.ANNUAL, date(2025, 9, 27))
    assert (year.items["net_income"], year.items["eps_diluted"]) == (112_010_000_000, 7.46)
    assert year.facts["revenue"].concept == \
        "us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax"


def test_periods_come_from_dates_not_fy_fp() -> None:
    st = build_statements(payload_json(APPLE), "AAPL")
    # Filed in the FY2026 Q1 10-Q (fy=2026, fp=Q1) but covering Oct–Dec 2024: FY2025 Q1.
    q1 = _find(st, I, PeriodType.QUARTER, date(2024, 12, 28))
    assert (q1.fiscal_year, q1.fiscal_quarter, q1.start) == (2025, 1, date(2024, 9, 29))
    # A Q1 filed before any 6-month fact of its year still lands in the next fiscal year.
    latest = _find(st, I, PeriodType.QUARTER, date(2025, 12, 27))
    assert (latest.fiscal_year, latest.fiscal_quarter) == (2026, 1)
    # Apple's 2018 10-K tags FY2017 comparatives fy=2018: they stay in FY2017.
    old = _find(st, I, PeriodType.ANNUAL, date(2017, 9, 30))
    assert (old.fiscal_year, old.items["revenue"]) == (2017, 229_234_000_000)


def test_cover_shares_go_to_the_balance_sheet_of_their_filing() -> None:
    st = build_statements(payload_json(APPLE), "AAPL")
    bal = _find(st, B, PeriodType.QUARTER, date(2025, 12, 27))
    assert bal.items["shares_outstanding"] == 14_681_140_000
    assert bal.items["total_assets"] == 379_297_000_000
    assert bal.items["cash"] is None              # not in the facts: None, never invented


def test_first_reported_and_restated_are_both_kept() -> None:
    body = copy.deepcopy(payload_json(APPLE))
    facts = body["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
    # The FY2026 10-Q re-files Q1 FY2025 net income; make it a restatement.
    later = next(f for f in facts if f["accn"] == "0000320193-26-000006"
                 and f["end"] == "2024-12-28")
    later["val"] = 36_000_000_000
    st = build_statements(body, "AAPL")
    end = date(2024, 12, 28)
    first = _find(select_version(st, Version.REPORTED), I, PeriodType.QUARTER, end)
    latest = _find(select_version(st, Version.RESTATED), I, PeriodType.QUARTER, end)
    assert first.items["net_income"] == 36_330_000_000
    assert first.facts["net_income"].accession == "0000320193-25-000008"
    assert latest.items["net_income"] == 36_000_000_000
    assert latest.facts["net_income"].accession == "0000320193-26-000006"
    assert "restated" in latest.flags and latest.revision == 1


def test_negative_q4_of_a_non_negative_line_is_flagged_not_stored() -> None:
    body = copy.deepcopy(payload_json(TESLA))
    revenues = body["facts"]["us-gaap"]["Revenues"]["units"]["USD"]
    revenues.append({"start": "2022-01-01", "end": "2022-12-31", "val": 50_000_000_000,
                     "accn": "0000950170-23-001409", "fy": 2022, "fp": "FY", "form": "10-K",
                     "filed": "2023-01-31"})
    st = build_statements(body, "TSLA")
    q4 = [s for s in st if s.statement is I and s.end == date(2022, 12, 31)
          and s.period is PeriodType.QUARTER]
    assert q4 and q4[0].items["revenue"] is None          # 50,000 − 57,144 would be negative
    assert "negative_q4_derivation:revenue" in q4[0].flags
    year = _find(st, I, PeriodType.ANNUAL, date(2022, 12, 31))
    assert year.items["revenue"] == 50_000_000_000        # the reported year is kept


def test_a_fact_with_a_broken_date_costs_only_that_fact() -> None:
    body = copy.deepcopy(payload_json(APPLE))
    facts = body["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
    facts[-1]["end"] = "2025-13-45"
    st = build_statements(body, "AAPL")
    latest = _find(st, I, PeriodType.QUARTER, date(2025, 12, 27))
    assert latest.items["net_income"] is None and latest.items["revenue"] == 143_756_000_000


def test_a_body_without_facts_is_bad_data() -> None:
    with pytest.raises(ProviderBadData):
        build_statements({"cik": 1, "entityName": "x"}, "X")


@pytest.fixture
def sec():
    yield from serve()


@pytest.fixture
async def edgar(sec):
    p = SecEdgarFundamentals("StockFlow tests ops@example.com", base_url=sec.url,
                             tickers_url=f"{sec.url}/files/company_tickers.json",
                             max_per_second=1000, timeout=2)
    yield p
    await p.aclose()


async def test_statements_and_profile_over_http(sec, edgar) -> None:
    sec.route("/files/company_tickers.json", body=TICKERS)
    sec.route("/api/xbrl/companyfacts/CIK0000320193.json", APPLE)
    sec.route("/submissions/CIK0000320193.json", "sec/submissions_CIK0000320193_apple_trimmed.json")
    st = await edgar.statements("aapl")
    assert _find(st, I, PeriodType.ANNUAL, date(2025, 9, 27)).items["revenue"] == 416_161_000_000
    profile = await edgar.profile("AAPL")
    assert (profile.name, profile.cik, profile.exchange, profile.fiscal_year_end) == (
        "Apple Inc.", "0000320193", "Nasdaq", "September")
    assert profile.industry == "Electronic Computers"
    assert all(r.headers["user-agent"] == "StockFlow tests ops@example.com"
               for r in sec.requests)
    # The ticker map is fetched once, not per call.
    assert [r.path for r in sec.requests].count("/files/company_tickers.json") == 1


async def test_unknown_ticker_is_not_found(sec, edgar) -> None:
    sec.route("/files/company_tickers.json", body=TICKERS)
    with pytest.raises(ProviderNotFound):
        await edgar.statements("ZZZZ")


async def test_429_is_a_ten_minute_block(sec, edgar) -> None:
    sec.route("/files/company_tickers.json", body=TICKERS)
    sec.route("/api/xbrl/companyfacts/CIK0000320193.json", body=b"<html>Request Rate Threshold "
              b"Exceeded</html>", status=429, headers={"Content-Type": "text/html"})
    with pytest.raises(ProviderRateLimited) as caught:
        await edgar.statements("AAPL")
    assert caught.value.retry_after == 600 and caught.value.status == 429


async def test_malformed_body_is_bad_data(sec, edgar) -> None:
    sec.route("/files/company_tickers.json", body=TICKERS)
    sec.route("/api/xbrl/companyfacts/CIK0000320193.json", body=b"{not json")
    with pytest.raises(ProviderBadData):
        await edgar.statements("AAPL")


def test_user_agent_needs_a_contact() -> None:
    with pytest.raises(ValueError, match="contact"):
        SecEdgarFundamentals("stockflow")
