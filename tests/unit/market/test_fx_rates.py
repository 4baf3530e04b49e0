"""FX conversion from stored daily closes: direct, inverted and crossed through USD, each day
read as the last rate on or before it, and the pairs each conversion reads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stockflow.core.problems import Problem
from stockflow.market.domain import AssetClass, Bar, Instrument, Interval
from stockflow.market.fx import FxService, cross, rate_on


def pair(base: str, quote: str) -> Instrument:
    return Instrument(f"{base}{quote}", f"{base}/{quote}", "FX", AssetClass.FX, quote, "C", "M",
                      0, {"base": base, "quote": quote})


class Store:
    """Daily closes by ticker, read like MarketStore.read_bars (start <= time < end)."""

    def __init__(self, closes: dict[str, dict[date, float]]) -> None:
        self.closes = closes

    async def read_bars(self, ticker, interval, start, end, limit, after=None):
        assert interval is Interval.D1
        rows = sorted(self.closes.get(ticker, {}).items())
        return [Bar(ticker, interval, t, c, c, c, c, 0, "test") for t, c in (
            (datetime.combine(d, datetime.min.time(), UTC), c) for d, c in rows)
            if start <= t < end][:limit]


D = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9)]  # weekdays; 7 and 8 are a weekend


@pytest.fixture
def fx() -> FxService:
    store = Store({"EURUSD": {d: 1.10 + 0.01 * i for i, d in enumerate(D)},
                   "USDINR": {d: 90.0 + i for i, d in enumerate(D)}})
    return FxService(store=store, universe=lambda: [pair("EUR", "USD"), pair("USD", "INR")])


async def test_direct_inverted_and_crossed_rates(fx):
    assert await fx.fx_series("EUR", "USD", D[1], D[2]) == [(D[1], 1.11), (D[2], 1.12)]
    inverted = await fx.fx_series("usd", "eur", D[1], D[1])
    assert inverted == [(D[1], pytest.approx(1 / 1.11))]
    crossed = dict(await fx.fx_series("EUR", "INR", D[0], D[5]))
    assert crossed[D[3]] == pytest.approx(1.13 * 93.0)
    assert fx.pairs_of("EUR", "INR") == ["EURUSD", "USDINR"]
    assert fx.pairs_of("INR", "USD") == ["USDINR"] and fx.pairs_of("USD", "USD") == []
    assert fx.currencies == {"EUR", "USD", "INR"}


async def test_a_range_starting_on_a_weekend_has_fridays_rate(fx):
    series = await fx.fx_series("EUR", "USD", date(2026, 3, 7), date(2026, 3, 9))
    assert series[0] == (D[4], pytest.approx(1.14))  # Friday's, the last before the range
    assert rate_on(series, date(2026, 3, 8)) == pytest.approx(1.14)
    assert rate_on(series, D[5]) == pytest.approx(1.15)
    assert rate_on(series, date(2026, 3, 1)) is None


async def test_an_unknown_currency_is_a_422(fx):
    with pytest.raises(Problem) as info:
        await fx.fx_series("EUR", "XAU", D[0], D[1])
    assert info.value.status == 422 and "XAU" in info.value.detail


def test_cross_reads_each_leg_on_or_before_the_day():
    a = [(D[0], 2.0), (D[2], 3.0)]
    b = [(D[1], 10.0)]
    assert cross(a, b) == [(D[1], 20.0), (D[2], 30.0)]
