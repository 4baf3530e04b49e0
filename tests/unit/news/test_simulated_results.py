"""Simulated results stories quote the analysis context's figures: on a quarter's filing day,
every source tells its revenue and diluted EPS, against the same quarter a year before, and the
numbers in the text are those of the stored (simulated) statements."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from stockflow.adapters.providers.simulated.fundamentals import SimulatedFundamentals
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import PeriodType, Version, select_version
from stockflow.analysis.figures import StoredFigures
from stockflow.analysis.ports import InMemoryStatementStore
from stockflow.analysis.service import AnalysisService
from stockflow.news.catalog import build_catalog
from stockflow.news.domain import EventType
from stockflow.news.simulated import SimulatedNews
from stockflow.news.sources import SimulatedSource
from stockflow.testing.fakes import FakeClock
from stockflow.testing.simulated_market import simulated_market_store

NOW = datetime(2026, 1, 2, 23, 0, tzinfo=UTC)
SCALE = {"billion": 1e9, "million": 1e6, "trillion": 1e12}
_REVENUE = re.compile(r"reported revenue of (\w+) ([\d.]+) (\w+) for the fiscal (\d+) quarter "
                      r"(\d) ended .*?, (up|down) ([\d.]+)% from")
_EPS = re.compile(r"Diluted earnings per share were (-?[\d.]+), (beating|short of) the "
                  r"(-?[\d.]+) of the same quarter")


@pytest.fixture
async def world(tmp_path):
    db, market = await simulated_market_store(tmp_path / "market.db", NOW, ("AAPL",), 400)
    analysis = AnalysisService(InMemoryStatementStore(), SimulatedFundamentals(42), market,
                               FakeClock(NOW))
    await analysis.sync("AAPL")
    yield analysis, market
    await db.close()


async def _quarters(analysis):
    stored = await analysis.store.statements("AAPL", statement=StatementType.INCOME,
                                             period=PeriodType.QUARTER)
    first = {s.end: s for s in select_version(stored, Version.REPORTED)}
    latest = {(s.fiscal_year, s.fiscal_quarter): s
              for s in select_version(stored, Version.RESTATED)}
    return first, latest


def _check(article_body: str, statement, prior) -> None:
    m = _REVENUE.search(article_body)
    assert m, article_body
    currency, amount, word, fy, q, side, pct = m.groups()
    revenue = statement.items["revenue"]
    assert currency == statement.currency
    assert float(amount) * SCALE[word] == pytest.approx(revenue, abs=0.005 * SCALE[word])
    assert (int(fy), int(q)) == (statement.fiscal_year, statement.fiscal_quarter)
    growth = (revenue / prior.items["revenue"] - 1) * 100
    assert (side == "up") == (growth >= 0) and float(pct) == pytest.approx(abs(growth), abs=0.05)
    e = _EPS.search(article_body)
    assert e, article_body
    eps, verdict, prior_eps = e.groups()
    assert float(eps) == pytest.approx(statement.items["eps_diluted"], abs=0.005)
    assert float(prior_eps) == pytest.approx(prior.items["eps_diluted"], abs=0.005)
    assert (verdict == "beating") == (statement.items["eps_diluted"] > prior.items["eps_diluted"])


async def test_a_results_story_quotes_the_quarter_of_the_simulated_fundamentals(world) -> None:
    analysis, market = world
    first, latest = await _quarters(analysis)
    [result, *_] = await StoredFigures(analysis).reported_between(
        "AAPL", date(2025, 1, 1), date(2025, 4, 1))
    news = SimulatedNews(7, build_catalog(market.universe))
    at = datetime.combine(result.reported, datetime.min.time(), UTC) + timedelta(hours=12)
    story = news.results_story(result, at)
    assert len({a.source for a in story}) == 5 and {a.language for a in story} == {"en", "zh",
                                                                                  "ja"}
    assert all(a.event_hint is EventType.EARNINGS and a.tickers == ("AAPL",) for a in story)
    statement = first[result.end]
    prior = latest[(statement.fiscal_year - 1, statement.fiscal_quarter)]
    for article in (a for a in story if a.language == "en"):
        _check(article.body, statement, prior)
    zh = next(a for a in story if a.language == "zh")
    assert f"{statement.items['eps_diluted']:.2f}" in zh.title


async def test_the_simulated_source_tells_each_filed_quarter_once(world) -> None:
    analysis, market = world
    first, latest = await _quarters(analysis)
    catalog = build_catalog(market.universe)
    source = SimulatedSource(lambda: SimulatedNews(7, catalog), market, per_minute=1,
                             backfill=timedelta(minutes=5), move_days=200,
                             results=StoredFigures(analysis))
    told = [a for a in await source.fetch(NOW) if a.event_hint is EventType.EARNINGS]
    filed = [s for s in first.values() if NOW.date() - timedelta(days=200) <= s.filed <= NOW.date()]
    assert filed and len(told) == 5 * len(filed)
    for article in (a for a in told if a.language == "en"):
        fy, q = map(int, _REVENUE.search(article.body).group(4, 5))
        statement = next(s for s in filed if (s.fiscal_year, s.fiscal_quarter) == (fy, q))
        _check(article.body, statement, latest[(fy - 1, q)])
        assert article.published_at.date() == statement.filed
    assert not [a for a in await source.fetch(NOW + timedelta(minutes=1))
                if a.event_hint is EventType.EARNINGS]  # told once
    without = SimulatedSource(lambda: SimulatedNews(7, catalog), market, per_minute=1,
                              backfill=timedelta(minutes=5), move_days=200)
    assert not [a for a in await without.fetch(NOW) if a.event_hint is EventType.EARNINGS]
