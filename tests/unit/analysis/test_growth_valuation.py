"""Growth rates, CAPM beta, DCF, DDM and peer multiples against hand-computed values."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockflow.analysis.errors import ImpossibleInput
from stockflow.analysis.growth import cagr, changes, compound, rate
from stockflow.analysis.valuation.assumptions import ValuationDefaults, from_statements, override
from stockflow.analysis.valuation.capm import beta, cost_of_equity, returns
from stockflow.analysis.valuation.dcf import DcfAssumptions, dcf, wacc
from stockflow.analysis.valuation.ddm import gordon, two_stage
from stockflow.analysis.valuation.multiples import compare
from tests.unit.analysis.statements_factory import period


def test_rates_and_cagr() -> None:
    assert rate(120, 100) == pytest.approx(0.2)
    assert rate(-5, -10) == pytest.approx(0.5)          # a smaller loss is an improvement
    assert rate(5, 0) is None
    assert cagr(100, 121, 2) == pytest.approx(0.1)
    assert cagr(-100, 121, 2) is None and cagr(100, -1, 2) is None


def test_year_on_year_and_margin_points() -> None:
    now = period(income={"revenue": 1000, "net_income": 150, "operating_income": 250})
    before = period(date(2024, 12, 31), income={"revenue": 800, "net_income": 100,
                                                "operating_income": 160})
    by = {c.metric: c for c in changes(now, [before, now])}
    assert by["revenue"].value == pytest.approx(0.25)
    assert by["net_income"].value == pytest.approx(0.5)
    assert by["operating_margin"].kind == "points"
    assert by["operating_margin"].value == pytest.approx(0.25 - 0.2)
    assert by["revenue"].base_end == "2024-12-31"


def test_compound_growth_over_years() -> None:
    years = [period(date(2020 + i, 12, 31), income={"revenue": 100 * 1.1 ** i})
             for i in range(6)]
    three = {c.metric: c.value for c in compound(years, 3)}
    five = {c.metric: c.value for c in compound(years, 5)}
    assert three["revenue"] == pytest.approx(0.1, abs=2e-4)   # 365.25-day years
    assert five["revenue"] == pytest.approx(0.1, abs=2e-4)
    assert all(c.value is None for c in compound(years[:3], 5))


def test_beta_recovers_a_known_loading() -> None:
    rng = np.random.default_rng(3)
    market = rng.normal(0, 0.01, 500)
    asset = 1.5 * market + rng.normal(0, 0.002, 500)
    assert beta(asset, market) == pytest.approx(1.5, abs=0.05)
    assert returns([100, 110, 99]) == pytest.approx([0.1, -0.1])
    assert cost_of_equity(0.04, 1.5, 0.05) == pytest.approx(0.115)
    with pytest.raises(ImpossibleInput, match="at least 60"):
        beta(asset[:10], market[:10])


BASE = DcfAssumptions(base_fcff=100, growth=0.05, terminal_growth=0.02, years=2,
                      risk_free=0.04, equity_risk_premium=0.05, beta=1.2, cost_of_debt=0.05,
                      tax_rate=0.2, market_cap=800, debt=200, cash=50, shares=10)


def test_dcf_by_hand() -> None:
    ke, rate_ = wacc(BASE)
    assert ke == pytest.approx(0.10)
    assert rate_ == pytest.approx(0.8 * 0.10 + 0.2 * 0.05 * 0.8)          # 0.088
    result = dcf(BASE)
    # Year 1 grows 5 %, year 2 at the terminal 2 % (straight-line fade over two years).
    f1, f2 = 100 * 1.05, 100 * 1.05 * 1.02
    pv = f1 / 1.088 + f2 / 1.088 ** 2
    tv = f2 * 1.02 / (0.088 - 0.02)
    assert [y.fcff for y in result.years] == pytest.approx([f1, f2])
    assert result.terminal_value == pytest.approx(tv)
    assert result.enterprise_value == pytest.approx(pv + tv / 1.088 ** 2)
    assert result.value_per_share == pytest.approx((pv + tv / 1.088 ** 2 - 200 + 50) / 10)
    grid = result.sensitivity["value_per_share"]
    assert len(grid) == 5 and len(grid[0]) == 5
    assert grid[2][2] == pytest.approx(result.value_per_share)
    assert grid[0][0] > grid[4][0]                 # a higher WACC is worth less


@pytest.mark.parametrize(("change", "field"), [
    ({"terminal_growth": 0.09}, "terminal_growth"), ({"shares": -5}, "shares"),
    ({"shares": 0}, "shares"), ({"tax_rate": 1.2}, "tax_rate"), ({"years": 0}, "years"),
])
def test_impossible_dcf_inputs_say_why(change: dict, field: str) -> None:
    with pytest.raises(ImpossibleInput) as caught:
        dcf(override(BASE, change))
    assert caught.value.field == field and caught.value.status == 422


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ImpossibleInput, match="not an assumption"):
        override(BASE, {"wac": 0.1})


@settings(max_examples=50, deadline=None)
@given(g=st.floats(-0.05, 0.05), bump=st.floats(0.001, 0.05))
def test_value_falls_as_wacc_rises(g: float, bump: float) -> None:
    low = dcf(override(BASE, {"terminal_growth": g}))
    high = dcf(override(BASE, {"terminal_growth": g, "risk_free": 0.04 + bump}))
    assert high.wacc > low.wacc and high.enterprise_value < low.enterprise_value


def test_assumptions_from_statements_carry_their_sources() -> None:
    now, before = period(), period(date(2024, 12, 31), income={"revenue": 800})
    a = from_statements(now, before, 20.0, 1.1, "returns vs SPY", ValuationDefaults())
    assert a.tax_rate == pytest.approx(0.2)
    # EBIT 200 × 0.8 + D&A 50 − capex 84 + working capital −10
    assert a.base_fcff == pytest.approx(160 + 50 - 84 - 10)
    assert a.cost_of_debt == pytest.approx(20 / 200)
    assert a.growth == pytest.approx(0.25)
    assert (a.market_cap, a.debt, a.cash, a.shares) == (2000, 200, 150, 100)
    assert a.sources["beta"] == "returns vs SPY"
    assert override(a, {"growth": 0.1}).sources["growth"] == "override"


def test_dividend_discount_by_hand() -> None:
    assert gordon(2.0, 0.08, 0.03) == pytest.approx(2.0 * 1.03 / 0.05)
    two = two_stage(1.0, 0.10, 0.20, 2, 0.03)
    d1, d2 = 1.2, 1.44
    pv = d1 / 1.1 + d2 / 1.21
    tv = d2 * 1.03 / 0.07
    assert two["value_per_share"] == pytest.approx(pv + tv / 1.21)
    with pytest.raises(ImpossibleInput, match="pays no dividend"):
        gordon(0.0, 0.08, 0.03)
    with pytest.raises(ImpossibleInput, match="not below the cost of equity"):
        gordon(1.0, 0.05, 0.05)


def test_peer_multiples() -> None:
    peers = {"A": {"price_to_earnings": 10.0}, "B": {"price_to_earnings": 20.0},
             "C": {"price_to_earnings": 30.0}, "D": {"price_to_earnings": -4.0},
             "E": {"price_to_earnings": 40.0}}
    stats = {s.multiple: s for s in compare({"price_to_earnings": 25.0}, peers,
                                            {"eps": 2.0})}
    pe = stats["price_to_earnings"]
    assert (pe.peers, pe.median, pe.q1, pe.q3) == (4, 25.0, 17.5, 32.5)   # the loss is out
    assert pe.percentile == 50.0
    assert pe.implied_price == 50.0
    assert stats["price_to_book"].median is None
