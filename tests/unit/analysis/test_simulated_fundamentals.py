"""Simulated fundamentals: exact identities for any seed, the market cap, restatements, FCF."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockflow.adapters.providers.simulated.fundamentals import SimulatedFundamentals
from stockflow.adapters.providers.simulated.universe import default_universe
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import PeriodType, Version, select_version
from stockflow.analysis.errors import NoFundamentals
from stockflow.analysis.identities import (
    balance_breaches,
    cash_flow_breaches,
    income_breaches,
    link_breaches,
)
from stockflow.core.problems import Problem
from stockflow.market.domain import AssetClass

EQUITIES = [x.ticker for x in default_universe()
            if x.instrument.asset_class is AssetClass.EQUITY]
B, I, C = StatementType.BALANCE, StatementType.INCOME, StatementType.CASH_FLOW


def _by_period(statements, period=PeriodType.QUARTER):
    table: dict = defaultdict(dict)
    for s in statements:
        if s.period is period:
            table[s.end][s.statement] = s
    return [table[end] for end in sorted(table)]


def _assert_identities(statements) -> None:
    for s in statements:
        check = {B: balance_breaches, I: income_breaches, C: cash_flow_breaches}[s.statement]
        assert check(s.items) == [], (s.ticker, s.statement, s.end, s.revision)
    restated_ends = {s.end for s in statements if s.revision}
    for version in Version:
        periods = _by_period(select_version(statements, version))
        for prev, cur in itertools.pairwise(periods):
            breaches = link_breaches(cur[I].items, cur[C].items, cur[B].items, prev[B].items)
            # As first reported, the 10-K's quarter follows the uncorrected one: that gap is
            # what a restatement is. The latest-restated series links everywhere.
            if version is Version.REPORTED and prev[B].end in restated_ends:
                continue
            assert breaches == [], (cur[B].ticker, cur[B].end, version)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**40), ticker=st.sampled_from(EQUITIES))
def test_identities_hold_exactly_for_any_seed(seed: int, ticker: str) -> None:
    _assert_identities(SimulatedFundamentals(seed).statements_sync(ticker))


@pytest.mark.parametrize("ticker", EQUITIES)
def test_every_equity_balances_and_matches_its_market_cap(ticker: str) -> None:
    sim = SimulatedFundamentals(42)
    statements = sim.statements_sync(ticker)
    _assert_identities(statements)
    listing = sim.listing(ticker)
    last = _by_period(statements)[-1][B]
    cap = last.items["shares_outstanding"] * listing.params.ref_price
    assert abs(cap - listing.instrument.market_cap) <= listing.params.ref_price
    assert all(s.currency == listing.instrument.currency for s in statements)


def test_annual_flows_are_the_sum_of_their_quarters() -> None:
    statements = select_version(SimulatedFundamentals(7).statements_sync("MSFT"),
                                Version.RESTATED)
    annual = [s for s in statements if s.period is PeriodType.ANNUAL and s.statement is I]
    assert len(annual) == 6
    for year in annual:
        quarters = [s for s in statements if s.period is PeriodType.QUARTER
                    and s.statement is I and s.fiscal_year == year.fiscal_year]
        assert sum(q.items["revenue"] for q in quarters) == year.items["revenue"]
        assert sum(q.items["net_income"] for q in quarters) == year.items["net_income"]


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    a = SimulatedFundamentals(1).statements_sync("KO")
    assert a == SimulatedFundamentals(1).statements_sync("KO")
    assert a != SimulatedFundamentals(2).statements_sync("KO")


def test_sector_margins_are_plausible() -> None:
    sim = SimulatedFundamentals(42)

    def margin(ticker: str) -> float:
        year = [s for s in sim.statements_sync(ticker)
                if s.period is PeriodType.ANNUAL and s.statement is I][-1]
        return year.items["operating_income"] / year.items["revenue"]

    assert 0.1 < margin("MSFT") < 0.5
    assert 0.02 < margin("WMT") < 0.25
    assert margin("MSFT") > margin("WMT")


def test_payers_pay_and_non_payers_do_not() -> None:
    sim = SimulatedFundamentals(42)

    def paid(ticker: str) -> int:
        return sum(s.items["dividends_paid"] for s in sim.statements_sync(ticker)
                   if s.statement is C and s.period is PeriodType.ANNUAL)

    assert paid("KO") > 0 and paid("JPM") > 0
    assert paid("AMZN") == 0 and paid("TSLA") == 0


def test_every_equity_has_a_negative_free_cash_flow_quarter() -> None:
    sim = SimulatedFundamentals(42)
    for ticker in EQUITIES:
        assert any(s.items["free_cash_flow"] < 0 for s in sim.statements_sync(ticker)
                   if s.statement is C and s.period is PeriodType.QUARTER), ticker


def test_some_companies_restate_and_both_versions_are_kept() -> None:
    sim = SimulatedFundamentals(42)
    restated = [t for t in EQUITIES if any(s.revision for s in sim.statements_sync(t))]
    assert 0 < len(restated) < len(EQUITIES)
    statements = sim.statements_sync(restated[0])
    first = {s.key: s for s in select_version(statements, Version.REPORTED)}
    latest = {s.key: s for s in select_version(statements, Version.RESTATED)}
    changed = [k for k in first if first[k].items != latest[k].items]
    assert changed and all(latest[k].revision == 1 and "restated" in latest[k].flags
                           for k in changed)
    assert all(latest[k].filed > first[k].filed for k in changed)
    income = [k for k in changed if k[1] is I]
    assert len(income) == 1 and first[income[0]].items["revenue"] > latest[income[0]].items[
        "revenue"]


def test_indian_companies_close_their_year_in_march() -> None:
    years = [s for s in SimulatedFundamentals(42).statements_sync("TCS")
             if s.period is PeriodType.ANNUAL]
    assert {(s.end.month, s.end.day) for s in years} == {(3, 31)}


@pytest.mark.parametrize("ticker", ["SPY", "BTC-USD"])
def test_etfs_and_crypto_have_no_fundamentals(ticker: str) -> None:
    sim = SimulatedFundamentals(42)
    assert not sim.supports(ticker)
    with pytest.raises(NoFundamentals) as caught:
        asyncio.run(sim.statements(ticker))
    assert caught.value.status == 404 and "only equities" in caught.value.detail


def test_unknown_ticker_is_not_found() -> None:
    with pytest.raises(Problem) as caught:
        SimulatedFundamentals(42).statements_sync("NOPE")
    assert caught.value.status == 404
