"""The StatementStore contract on memory, SQLite and PostgreSQL (a schema per test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date

import pytest

from stockflow.adapters.providers.simulated.fundamentals import SimulatedFundamentals
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import (
    CompanyProfile,
    FactSource,
    PeriodType,
    Version,
    select_version,
)
from stockflow.analysis.ports import InMemoryStatementStore, StatementStore
from stockflow.analysis.repository import SqlStatementStore
from tests.contract.conftest import sql_database

I = StatementType.INCOME


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def store(request, tmp_path) -> AsyncIterator[StatementStore]:
    if request.param == "memory":
        yield InMemoryStatementStore()
        return
    async for db in sql_database(request, tmp_path):
        yield SqlStatementStore(db)


def _restated_company() -> list:
    sim = SimulatedFundamentals(42)
    ticker = next(t for t in ("AAPL", "MSFT", "NVDA", "KO", "JPM", "XOM", "PG", "WMT", "CAT",
                              "V", "MA", "GS", "BAC", "CVX", "JNJ", "PFE", "LLY", "UNH")
                  if any(s.revision for s in sim.statements_sync(t)))
    return sim.statements_sync(ticker)


async def test_statements_round_trip_with_every_revision(store) -> None:
    statements = _restated_company()
    changed = await store.save_statements(statements)
    # Annual and Q4 share an end; one row per (ticker, end, type) as the seed's key says.
    assert len(changed) == len({(s.ticker, s.end, s.statement) for s in statements})
    back = await store.statements(statements[0].ticker)
    key = lambda s: (s.end, s.statement, s.period, s.revision)
    assert sorted(back, key=key) == sorted(statements, key=key)
    for version in Version:
        assert select_version(back, version) == select_version(statements, version)


async def test_saving_the_same_data_changes_nothing(store) -> None:
    statements = _restated_company()
    await store.save_statements(statements)
    assert await store.save_statements(statements) == []
    one = next(s for s in statements if s.statement is I and s.period is PeriodType.QUARTER)
    revised = replace(one, items=one.items | {"revenue": 1}, revision=one.revision + 5)
    assert await store.save_statements([revised]) == [(one.ticker, one.end, I)]
    back = [s for s in await store.statements(one.ticker, statement=I)
            if s.end == one.end and s.period is PeriodType.QUARTER]
    assert sorted(s.revision for s in back) == sorted({one.revision, one.revision + 5} | {
        s.revision for s in statements if s.key == one.key})


async def test_filters_and_cursor(store) -> None:
    statements = _restated_company()
    ticker = statements[0].ticker
    await store.save_statements(statements)
    annual = await store.statements(ticker, period=PeriodType.ANNUAL, statement=I)
    assert [s.fiscal_year for s in annual] == sorted({s.fiscal_year for s in statements
                                                      if s.period is PeriodType.ANNUAL},
                                                     reverse=True)
    page = await store.statements(ticker, period=PeriodType.QUARTER, limit=2)
    ends = sorted({s.end for s in page}, reverse=True)
    assert len(ends) == 2
    older = await store.statements(ticker, period=PeriodType.QUARTER, limit=2, before=ends[-1])
    assert max(s.end for s in older) < ends[-1]
    assert await store.tickers() == [ticker]


async def test_facts_and_flags_survive(store) -> None:
    one = _restated_company()[0]
    source = FactSource("sec", "us-gaap:Revenues", "0000320193-25-000079", "10-K",
                        date(2025, 10, 31), "fy_minus_9m", ("a", "b"))
    tagged = replace(one, facts={"revenue": source}, flags=("negative_q4_derivation:revenue",),
                     items=one.items | {"eps_diluted": 1.4, "revenue": None})
    await store.save_statements([tagged])
    (back,) = [s for s in await store.statements(one.ticker) if s.key == one.key]
    assert back == tagged


async def test_company_profiles(store) -> None:
    profile = CompanyProfile("AAPL", name="Apple Inc.", cik="0000320193", exchange="Nasdaq",
                             fiscal_year_end="September", shares_outstanding=14_681_140_000,
                             beta=1.2, market_cap=4.03e12, source="sec")
    await store.save_company(profile)
    assert await store.company("AAPL") == profile
    await store.save_company(replace(profile, beta=1.3))
    assert (await store.company("AAPL")).beta == 1.3
    assert await store.company("NOPE") is None
