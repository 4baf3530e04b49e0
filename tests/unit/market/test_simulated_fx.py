"""Currency pairs in the simulated market: listed with their currencies, traded 24 hours on
weekdays only, deterministic, with minute bars that agree with the daily ones, levels near the
reference rates and the dollar pairs moving together."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from stockflow.adapters.providers.simulated import PriceModel, SimulatedMarketProvider
from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import AssetClass, Interval, bar_is_valid, quote_is_valid
from stockflow.testing.fakes import FakeClock

PAIRS = ("EURUSD", "GBPUSD", "USDJPY", "USDINR", "USDCNY", "USDCHF", "AUDUSD", "USDCAD")
NOW = datetime(2026, 3, 14, 12, tzinfo=UTC)  # a Saturday


@pytest.fixture(scope="module")
def sim() -> SimulatedMarketProvider:
    return SimulatedMarketProvider(7, MarketCalendars(today=date(2026, 3, 1)), FakeClock(NOW))


async def test_the_major_pairs_are_instruments_priced_in_their_quote_currency(sim):
    listed = {i.ticker: i for i in await sim.instruments()}
    for pair in PAIRS:
        inst = listed[pair]
        assert inst.asset_class is AssetClass.FX and inst.exchange == "FX"
        assert inst.currency == pair[3:] and inst.metadata == {"base": pair[:3],
                                                               "quote": pair[3:]}


def test_sessions_are_whole_utc_weekdays(sim):
    bars = sim.backfill_bars("EURUSD", Interval.D1, datetime(2026, 3, 1, tzinfo=UTC), NOW)
    assert [b.time.date().weekday() for b in bars] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    minutes = sim.backfill_bars("EURUSD", Interval.M1, datetime(2026, 3, 13, tzinfo=UTC),
                                datetime(2026, 3, 14, tzinfo=UTC))
    assert len(minutes) == 1440 and all(bar_is_valid(b) for b in minutes)
    day = bars[-1]  # Friday 13 March: the daily bar is its minute bars rolled up
    assert (day.open, day.close) == (minutes[0].open, minutes[-1].close)
    assert day.high == max(b.high for b in minutes) and day.low == min(b.low for b in minutes)
    assert day.volume == sum(b.volume for b in minutes)
    # The weekend quote is Friday's close, frozen, as for a closed exchange.
    assert sim.quote_sync("EURUSD", NOW).price == day.close


def test_values_are_deterministic_and_independent_of_the_question_order():
    def closes(order):
        sim = SimulatedMarketProvider(7, MarketCalendars(today=date(2026, 3, 1)),
                                      FakeClock(NOW))
        out = {}
        for t in order:
            out[t] = [b.close for b in sim.backfill_bars(
                t, Interval.D1, datetime(2025, 6, 1, tzinfo=UTC), NOW)]
        return out

    assert closes(PAIRS) == closes(tuple(reversed(PAIRS)))


def test_levels_stay_near_reference_rates_and_dollar_pairs_co_move():
    model = PriceModel(7, MarketCalendars(today=date(2026, 3, 1)))
    bars = {t: model.daily(t, date(2025, 1, 1), date(2026, 1, 1)) for t in PAIRS}
    ref = {"EURUSD": 1.17, "USDJPY": 157.0, "USDINR": 90.0}
    for t, level in ref.items():
        closes = bars[t].close
        assert 0.7 * level < closes.min() and closes.max() < 1.3 * level, t
    r = {t: np.diff(np.log(bars[t].close)) for t in ("EURUSD", "GBPUSD", "USDCHF")}
    # EURUSD and GBPUSD both fall when the dollar rises; USDCHF rises with it.
    assert np.corrcoef(r["EURUSD"], r["GBPUSD"])[0, 1] > 0.2
    assert np.corrcoef(r["EURUSD"], r["USDCHF"])[0, 1] < -0.2
    vol = np.std(r["EURUSD"]) * np.sqrt(260)
    assert 0.04 < vol < 0.12


def test_live_quotes_are_valid_in_session(sim):
    at = datetime(2026, 3, 13, 15, 30, 20, tzinfo=UTC)
    for pair in PAIRS:
        q = sim.quote_sync(pair, at)
        assert quote_is_valid(q) and q.bid < q.ask
