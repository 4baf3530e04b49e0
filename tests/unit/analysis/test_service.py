"""The use cases end to end on the offline stack: simulated market bars in a SQLite market
store, simulated fundamentals, the in-memory statement store."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stockflow.adapters.providers.simulated.fundamentals import SimulatedFundamentals
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.compare import CompareService
from stockflow.analysis.config import AnalysisSettings
from stockflow.analysis.domain import PeriodType, Version
from stockflow.analysis.errors import ImpossibleInput, NoFundamentals
from stockflow.analysis.ports import InMemoryStatementStore
from stockflow.analysis.service import AnalysisService
from stockflow.analysis.technical.params import parse_query
from stockflow.analysis.technical_service import TechnicalService
from stockflow.analysis.valuation_service import ValuationService
from stockflow.core.problems import Problem
from stockflow.market.domain import Interval
from stockflow.testing.fakes import FakeClock
from stockflow.testing.simulated_market import simulated_market_store

NOW = datetime(2026, 1, 2, 23, 0, tzinfo=UTC)
LOADED = ("AAPL", "MSFT", "NVDA", "ORCL", "SPY", "KO", "BTC-USD")


@pytest.fixture
async def market(tmp_path):
    db, store = await simulated_market_store(tmp_path / "market.db", NOW, LOADED, 1100)
    yield store
    await db.close()


@pytest.fixture
def analysis(market) -> AnalysisService:
    return AnalysisService(InMemoryStatementStore(), SimulatedFundamentals(42), market,
                           FakeClock(NOW))


async def test_statements_are_fetched_on_first_use_and_paged(analysis) -> None:
    page = await analysis.statements("AAPL", PeriodType.QUARTER, limit=4)
    assert len(page) == 4 and page[0].end > page[-1].end
    older = await analysis.statements("AAPL", PeriodType.QUARTER, limit=4, before=page[-1].end)
    assert older[0].end < page[-1].end
    ttm = await analysis.statements("AAPL", PeriodType.TTM, limit=1)
    assert ttm[0].end == date(2025, 12, 31) and len(ttm[0].parts) == 4


async def test_ratios_use_the_stored_price(analysis, market) -> None:
    (latest,) = await analysis.ratios("AAPL")
    by = {r.name: r for r in latest.ratios}
    bars = await market.bars("AAPL", Interval.D1, None, None, 10_000)
    assert latest.market.price == bars[-1].close
    shares = latest.period.line(StatementType.BALANCE, "shares_outstanding")
    net_income = by["price_to_earnings"].inputs["net_income"]["value"]
    assert by["price_to_earnings"].value == pytest.approx(bars[-1].close * shares / net_income)
    assert len(by) >= 60


async def test_growth_has_five_year_cagr(analysis) -> None:
    report = await analysis.growth("MSFT")
    cagr5 = {c.metric: c.value for c in report.cagr_5y}
    assert cagr5["revenue"] is not None
    assert {c.metric for c in report.year_on_year["annual"]} >= {"revenue", "net_margin"}


async def test_sync_reports_changes_and_anomalies(analysis) -> None:
    # Seed 42 restates one NVDA quarter: the sync says so, once.
    first = await analysis.sync("NVDA")
    assert first.changed
    assert {a.kind for a in first.anomalies} == {"restatement"}
    again = await analysis.sync("NVDA")
    assert again.changed == [] and again.anomalies == []
    profile = await analysis.store.company("NVDA")
    assert (profile.name, profile.sector, profile.fiscal_year_end) == (
        "NVIDIA Corporation", "Information Technology", "December")
    latest = (await analysis.statements("NVDA", PeriodType.QUARTER, limit=1))[0]
    assert latest.line(StatementType.BALANCE, "shares_outstanding") == \
        profile.shares_outstanding


@pytest.mark.parametrize("ticker", ["SPY", "BTC-USD"])
async def test_no_fundamentals_for_etfs_and_crypto(analysis, ticker) -> None:
    with pytest.raises(NoFundamentals):
        await analysis.statements(ticker)


async def test_unknown_ticker_is_404(analysis) -> None:
    with pytest.raises(Problem) as caught:
        await analysis.ratios("NOPE")
    assert caught.value.status == 404


async def test_valuation_end_to_end(analysis) -> None:
    report = await ValuationService(analysis, AnalysisSettings()).valuation("AAPL")
    a = report.dcf.assumptions
    assert a.sources["beta"].startswith("daily returns vs SPY")
    assert 0.3 < a.beta < 2.5
    assert report.dcf.value_per_share > 0
    assert report.ddm["applicable"] and report.ddm["gordon"] > 0
    assert set(report.peers) >= {"MSFT", "NVDA", "ORCL"}
    pe = next(s for s in report.multiples if s.multiple == "price_to_earnings")
    assert pe.peers >= 3 and pe.median is not None
    with pytest.raises(ImpossibleInput, match="not below the WACC"):
        await ValuationService(analysis, AnalysisSettings()).valuation(
            "AAPL", {"terminal_growth": 0.5})


async def test_indicators_on_stored_bars_match_talib(analysis, market) -> None:
    import numpy as np
    import talib

    service = TechnicalService(market, FakeClock(NOW))
    series = await service.from_query("AAPL", "rsi,sma", {"sma.timeperiod": "50"},
                                      limit=100)
    bars = await market.bars("AAPL", Interval.D1, None, None, 10_000)
    closes = np.array([b.close for b in bars])
    assert len(series.times) == 100 and series.times[-1] == bars[-1].time
    assert series.results[1].outputs["real"] == pytest.approx(
        talib.SMA(closes, timeperiod=50)[-100:].tolist())
    with pytest.raises(Problem):
        await service.indicators("NOPE", parse_query("rsi", {}))


async def test_compare_ranks_in_sector_and_request(analysis) -> None:
    result = await CompareService(analysis).compare(["AAPL", "MSFT", "KO", "NOPE", "SPY"])
    assert {c.ticker for c in result.companies} == {"AAPL", "MSFT", "KO"}
    assert result.errors["NOPE"]["status"] == 404 and result.errors["SPY"]["status"] == 404
    it = result.sector_medians["Information Technology"]
    assert it["return_1y"] is not None
    ranks = [c.request_rank["net_margin"] for c in result.companies]
    assert sorted(ranks) == [100 / 6, 50.0, 500 / 6]
    with pytest.raises(Problem) as caught:
        await CompareService(analysis).compare([f"T{i}" for i in range(51)])
    assert caught.value.status == 422
    with pytest.raises(Problem, match="unknown metrics"):
        await CompareService(analysis).compare(["AAPL"], ["nope"])


def test_anomalies_in_vendor_like_data() -> None:
    from stockflow.analysis.anomalies import detect
    from tests.unit.analysis.statements_factory import period

    good = period(date(2024, 12, 31))
    bad = period(income={"operating_income": 50, "operating_expenses": 350},
                 balance={"total_assets": 1200}, cash={"operating_cash_flow": -20,
                                                        "net_change_in_cash": -154})
    kinds = [a.kind for a in detect([*good.statements.values(), *bad.statements.values()])]
    assert sorted(kinds) == ["identity", "identity", "margin_collapse",
                             "negative_operating_cash_flow"]


async def test_wire_models_are_json_without_nan(analysis, market) -> None:
    import orjson

    from stockflow.analysis import schemas

    periods = await analysis.statements("ORCL", PeriodType.QUARTER, Version.REPORTED, limit=3)
    page = schemas.statements_page("ORCL", Version.REPORTED, periods, 3)
    assert page.next_cursor == periods[-1].end.isoformat()
    ratios = schemas.ratios_out("ORCL", Version.RESTATED, await analysis.ratios("ORCL"))
    valuation = schemas.valuation_out(
        await ValuationService(analysis, AnalysisSettings()).valuation("ORCL"))
    growth = schemas.growth_out(await analysis.growth("ORCL"))
    for doc in (page.model_dump(mode="json"), ratios.model_dump(mode="json"), valuation,
                growth):
        text = orjson.dumps(doc, default=str)
        assert b"NaN" not in text and b"Infinity" not in text
    assert len(ratios.periods[0].ratios) >= 60


async def test_compare_cache_serves_the_same_numbers_until_invalidated(analysis) -> None:
    from stockflow.adapters.cache.memory import MemoryCache

    class Recording(MemoryCache):
        def __init__(self) -> None:
            super().__init__()
            self.keys: list[str] = []

        async def set_many(self, items, ttl=None):
            self.keys.extend(items)
            await super().set_many(items, ttl)

    cache = Recording()
    plain = await CompareService(analysis).compare(["AAPL", "KO"])
    cached = CompareService(analysis, cache=cache)
    first = await cached.compare(["AAPL", "KO"])
    assert first == plain
    key = next(k for k in cache.keys if "metrics:AAPL" in k)
    await cache.set(key, b'{"price_to_earnings": 1.0, "return_on_equity": null, '
                    b'"net_margin": null, "growth.revenue": null, "return_1y": null, '
                    b'"volatility_1y": null}')
    hit = await cached.compare(["AAPL", "KO"])
    assert next(c for c in hit.companies if c.ticker == "AAPL").values["price_to_earnings"] == 1
    await cached.invalidate("AAPL")
    assert await cached.compare(["AAPL", "KO"]) == plain
