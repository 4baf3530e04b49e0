"""What the analysis context lets others read (StoredFigures): key figures and quarterly results
from the stored statements only, never a fetch."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stockflow.adapters.providers.simulated.fundamentals import SimulatedFundamentals
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import PeriodType, Version, select_version
from stockflow.analysis.figures import StoredFigures
from stockflow.analysis.ports import InMemoryStatementStore, KeyFiguresReader, QuarterlyResults
from stockflow.analysis.service import AnalysisService
from stockflow.testing.fakes import FakeClock
from stockflow.testing.simulated_market import simulated_market_store

NOW = datetime(2026, 1, 2, 23, 0, tzinfo=UTC)


@pytest.fixture
async def analysis(tmp_path):
    db, market = await simulated_market_store(tmp_path / "market.db", NOW, ("AAPL", "MSFT"), 600)
    service = AnalysisService(InMemoryStatementStore(), SimulatedFundamentals(42), market,
                              FakeClock(NOW))
    await service.sync("AAPL")
    yield service
    await db.close()


async def test_key_figures_are_the_stored_ratios_and_nothing_is_fetched(analysis) -> None:
    figures = StoredFigures(analysis)
    assert isinstance(figures, KeyFiguresReader) and isinstance(figures, QuarterlyResults)
    assert await figures.key_figures("MSFT") is None  # not stored: no fetch either
    assert await analysis.store.tickers() == ["AAPL"]
    assert (await figures.tickers(None, 10), await figures.tickers("AAPL", 10)) == (["AAPL"], [])
    assert await figures.count() == 1
    found = await figures.key_figures("aapl")
    (latest,) = await analysis.ratios("AAPL")
    by = {r.name: r.value for r in latest.ratios}
    assert (found.ticker, found.sector) == ("AAPL", "Information Technology")
    assert found.gross_margin == by["gross_margin"] and found.net_margin == by["net_margin"]
    assert found.pe_ratio == by["price_to_earnings"] and found.pe_ratio > 0
    ttm = await analysis.periods("AAPL", PeriodType.TTM, Version.RESTATED)
    revenue = [p.line(StatementType.INCOME, "revenue") for p in ttm]
    assert found.revenue_growth == pytest.approx(revenue[-1] / revenue[-5] - 1)


async def test_quarterly_results_by_filing_date_against_the_year_before(analysis) -> None:
    results = await StoredFigures(analysis).reported_between("AAPL", date(2025, 1, 1),
                                                             date(2026, 1, 1))
    assert len(results) == 4 and all(date(2025, 1, 1) <= r.reported < date(2026, 1, 1)
                                     for r in results)
    stored = await analysis.store.statements("AAPL", statement=StatementType.INCOME,
                                             period=PeriodType.QUARTER)
    first = {s.end: s for s in select_version(stored, Version.REPORTED)}
    latest = {(s.fiscal_year, s.fiscal_quarter): s
              for s in select_version(stored, Version.RESTATED)}
    for r in results:
        assert (r.revenue, r.eps) == (first[r.end].items["revenue"],
                                      first[r.end].items["eps_diluted"])
        prior = latest[(r.fiscal_year - 1, r.fiscal_quarter)]
        assert (r.prior_revenue, r.prior_eps) == (prior.items["revenue"],
                                                  prior.items["eps_diluted"])
    assert await StoredFigures(analysis).reported_between("MSFT", date(2020, 1, 1),
                                                          date(2027, 1, 1)) == []
