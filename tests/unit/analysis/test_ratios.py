"""Ratios against values computed by hand from round-number statements."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import date

import pytest

from stockflow.analysis.ratios.compute import ALL, FREE, GROUPS, compute
from stockflow.analysis.ratios.inputs import MarketData
from tests.unit.analysis.statements_factory import period

PRIOR = period(date(2024, 12, 31), income={"revenue": 800, "net_income": 100,
                                           "gross_profit": 300},
               balance={"total_assets": 800, "total_equity": 400, "long_term_debt": 200,
                        "total_current_assets": 300, "shares_outstanding": 105,
                        "receivables": 130, "inventory": 90, "accounts_payable": 70})
NOW = period()
PRICE = MarketData(20.0)


def _values(current=NOW, prior=PRIOR, market=PRICE) -> dict:
    return {r.name: r.value for r in compute(current, prior, market)}


def test_sixty_ratios_or_more_in_every_group() -> None:
    groups = {r.group for r in ALL}
    assert len(ALL) >= 60
    assert {"valuation", "profitability", "liquidity", "solvency", "efficiency", "cash_flow",
            "per_share", "dupont_3", "dupont_5", "scores"} <= groups == set(GROUPS)
    assert len({r.name for r in ALL}) == len(ALL)
    assert set(FREE) <= {r.name for r in ALL}


def test_valuation_by_hand() -> None:
    v = _values()
    # market cap 20 × 100 = 2000; debt 200; cash + STI 150 → EV 2050
    assert v["price_to_earnings"] == pytest.approx(2000 / 144)
    assert v["price_to_book"] == pytest.approx(2000 / 600)
    assert v["price_to_sales"] == pytest.approx(2.0)
    assert v["enterprise_value"] == pytest.approx(2050)
    assert v["ev_to_ebitda"] == pytest.approx(2050 / 250)     # EBITDA = 200 + 50
    assert v["free_cash_flow_yield"] == pytest.approx(100 / 2000)
    assert v["dividend_yield"] == pytest.approx(40 / 2000)
    # Earnings grew 44 %: PEG = (2000 / 144) / 44
    assert v["peg_ratio"] == pytest.approx((2000 / 144) / 44)


def test_profitability_liquidity_solvency_by_hand() -> None:
    v = _values()
    assert v["gross_margin"] == pytest.approx(0.4)
    assert v["net_margin"] == pytest.approx(0.144)
    assert v["return_on_equity"] == pytest.approx(144 / 500)      # avg equity (600 + 400) / 2
    assert v["return_on_assets"] == pytest.approx(144 / 900)
    assert v["effective_tax_rate"] == pytest.approx(0.2)
    # NOPAT 200 × 0.8 = 160 over debt 200 + equity 600 − cash 100
    assert v["return_on_invested_capital"] == pytest.approx(160 / 700)
    assert v["current_ratio"] == pytest.approx(2.0)
    assert v["quick_ratio"] == pytest.approx(300 / 200)
    assert v["debt_to_equity"] == pytest.approx(200 / 600)
    assert v["interest_coverage"] == pytest.approx(10.0)
    assert v["net_debt"] == pytest.approx(50)


def test_efficiency_and_per_share_by_hand() -> None:
    v = _values()
    assert v["asset_turnover"] == pytest.approx(1000 / 900)
    assert v["days_sales_outstanding"] == pytest.approx(365 / (1000 / 140))
    assert v["days_inventory_outstanding"] == pytest.approx(365 / (600 / 95))
    assert v["days_payables_outstanding"] == pytest.approx(365 / (600 / 75))
    assert v["cash_conversion_cycle"] == pytest.approx(
        365 / (1000 / 140) + 365 / (600 / 95) - 365 / (600 / 75))
    assert v["book_value_per_share"] == pytest.approx(6.0)
    assert v["tangible_book_value_per_share"] == pytest.approx(5.0)
    assert v["free_cash_flow_per_share"] == pytest.approx(1.0)
    assert v["dividend_payout_ratio"] == pytest.approx(40 / 144)


def test_dupont_steps_multiply_to_return_on_equity() -> None:
    v = _values()
    assert v["dupont_3.return_on_equity"] == pytest.approx(v["return_on_equity"])
    assert v["dupont_5.return_on_equity"] == pytest.approx(v["return_on_equity"])
    assert v["dupont_5.tax_burden"] == pytest.approx(0.8)
    assert v["dupont_5.interest_burden"] == pytest.approx(0.9)
    assert v["dupont_5.ebit_margin"] == pytest.approx(0.2)


def test_altman_z_by_hand() -> None:
    ratio = next(r for r in compute(NOW, PRIOR, PRICE) if r.name == "altman_z")
    # 1.2·200/1000 + 1.4·400/1000 + 3.3·200/1000 + 0.6·2000/400 + 1.0·1000/1000
    assert ratio.value == pytest.approx(0.24 + 0.56 + 0.66 + 3.0 + 1.0)
    assert ratio.inputs["zone"]["computed"] == "safe"


def test_piotroski_by_hand() -> None:
    ratio = next(r for r in compute(NOW, PRIOR, PRICE) if r.name == "piotroski_f")
    criteria = {k.split(".", 1)[1]: v["value"] for k, v in ratio.inputs.items()
                if k.startswith("criterion.")}
    # ROA 0.144 > 0; CFO 184 > 0; ROA 0.144 > 0.125; CFO > NI; leverage 0.18 < 0.25;
    # current ratio 2.0 > 1.5; shares 100 <= 105; gross margin 0.40 > 0.375;
    # asset turnover 1.0 = 1.0 is not a rise.
    assert criteria == {"positive_roa": 1, "positive_operating_cash_flow": 1, "rising_roa": 1,
                        "cash_flow_above_net_income": 1, "falling_leverage": 1,
                        "rising_current_ratio": 1, "no_new_shares": 1,
                        "rising_gross_margin": 1, "rising_asset_turnover": 0}
    assert ratio.value == 8


def test_inputs_name_their_source_and_the_formula_is_given() -> None:
    pe = next(r for r in compute(NOW, PRIOR, PRICE) if r.name == "price_to_earnings")
    assert pe.formula == "market_cap / net_income"
    assert pe.inputs["net_income"] == {"value": 144, "statement": "income", "period": "annual",
                                       "end": "2025-12-31", "line": "net_income",
                                       "source": "test"}
    assert pe.inputs["market_cap"]["value"] == 2000


def test_missing_and_zero_inputs_give_none_not_nan() -> None:
    thin = period(income={"interest_expense": 0, "revenue": None})
    v = _values(thin, None, None)
    assert v["interest_coverage"] is None and v["gross_margin"] is None
    assert v["price_to_earnings"] is None                  # no market price: no guess
    assert v["piotroski_f"] is None                        # needs the year before
    json.dumps([asdict(r) for r in compute(thin, None, None)], allow_nan=False, default=str)
    assert all(r.value is None or math.isfinite(r.value) for r in compute(thin, None, None))
