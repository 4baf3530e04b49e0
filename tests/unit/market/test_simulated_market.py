"""The simulated market: OHLC validity, reproducibility, daily/minute agreement, stylised facts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockflow.adapters.providers.simulated import PriceModel, SimulatedMarketProvider
from stockflow.adapters.providers.simulated.model import REFERENCE_DATE
from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import Bar, Interval, bar_is_valid, quote_is_valid
from stockflow.market.ports import MarketDataProvider
from stockflow.testing.fakes import FakeClock

TODAY = date(2026, 11, 22)
SAMPLE = ["NVDA", "JPM", "KO", "SPY", "RELIANCE", "INFY", "BTC-USD", "DOGE-USD"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def cals() -> MarketCalendars:
    return MarketCalendars(today=TODAY)


@pytest.fixture(scope="module")
def model(cals: MarketCalendars) -> PriceModel:
    return PriceModel(42, cals)


@pytest.fixture(scope="module")
def provider(cals: MarketCalendars) -> SimulatedMarketProvider:
    return SimulatedMarketProvider(42, cals, FakeClock(utc(2026, 11, 20, 17, 3, 27)))


def as_bars(arrays, ticker: str, interval: Interval) -> list[Bar]:
    return [Bar(ticker, interval, datetime.fromtimestamp(t, UTC), o, h, lo, c, v)
            for t, o, h, lo, c, v in zip(arrays.time.tolist(), arrays.open.tolist(),
                                         arrays.high.tolist(), arrays.low.tolist(),
                                         arrays.close.tolist(), arrays.volume.tolist())]


def day_ts(day: date) -> float:
    return datetime.combine(day, datetime.min.time(), UTC).timestamp()


# -- validity ----------------------------------------------------------------------------------

days = st.dates(min_value=date(2015, 1, 10), max_value=date(2026, 11, 15))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ticker=st.sampled_from(SAMPLE), start=days, interval=st.sampled_from(list(Interval)))
def test_every_bar_is_valid(model: PriceModel, ticker: str, start: date, interval: Interval) -> None:
    if interval is Interval.D1:
        arrays = model.daily(ticker, start, start + timedelta(days=120))
    else:
        minutes = {"1m": 1, "5m": 5, "15m": 15, "1h": 60}[interval.value]
        arrays = model.intraday(ticker, day_ts(start), day_ts(start + timedelta(days=4)), minutes)
    bars = as_bars(arrays, ticker, interval)
    assert bars
    assert all(bar_is_valid(b) for b in bars)
    times = [b.time for b in bars]
    assert times == sorted(set(times))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ticker=st.sampled_from(SAMPLE), start=days,
       offset=st.integers(min_value=0, max_value=3 * 86400))
def test_every_quote_is_consistent(model: PriceModel, ticker: str, start: date, offset: int) -> None:
    q = model.quote(ticker, datetime.combine(start, datetime.min.time(), UTC)
                    + timedelta(seconds=offset))
    assert quote_is_valid(q)
    assert q.bid < q.ask and q.bid <= q.price <= q.ask
    assert q.low <= q.price <= q.high and q.low <= q.open <= q.high
    assert q.volume >= 0 and q.bid_size > 0 and q.ask_size > 0


# -- determinism ---------------------------------------------------------------------------------

def test_same_seed_same_values_different_seed_different(cals: MarketCalendars) -> None:
    a, b, c = PriceModel(7, cals), PriceModel(7, cals), PriceModel(8, cals)
    at = utc(2025, 11, 21, 16, 12, 30)
    for ticker in ("AAPL", "BTC-USD"):
        da, db, dc = (m.daily(ticker, date(2024, 1, 1), date(2025, 1, 1)) for m in (a, b, c))
        assert np.array_equal(da.close, db.close) and np.array_equal(da.high, db.high)
        assert np.array_equal(da.volume, db.volume)
        assert not np.array_equal(da.close, dc.close)
        ma, mb, mc = (m.intraday(ticker, at.timestamp() - 3600, at.timestamp()) for m in (a, b, c))
        assert np.array_equal(ma.close, mb.close) and np.array_equal(ma.volume, mb.volume)
        assert not np.array_equal(ma.close, mc.close)
        assert a.quote(ticker, at) == b.quote(ticker, at)
        assert a.quote(ticker, at).price != c.quote(ticker, at).price


def test_values_do_not_depend_on_order_or_horizon() -> None:
    near = MarketCalendars(today=TODAY)
    far = MarketCalendars(today=date(2031, 6, 1))  # horizon runs to 2033
    forward, backward = PriceModel(3, near), PriceModel(3, far)
    at = utc(2020, 3, 16, 15, 0, 5)
    # ask in opposite orders: forward from 2019, backward from 2026 first
    f_2019 = forward.daily("TSLA", date(2019, 1, 1), date(2020, 1, 1))
    f_quote = forward.quote("TSLA", at)
    b_quote = backward.quote("TSLA", at)
    b_2026 = backward.daily("TSLA", date(2026, 1, 1), date(2026, 6, 1))
    b_2019 = backward.daily("TSLA", date(2019, 1, 1), date(2020, 1, 1))
    f_2026 = forward.daily("TSLA", date(2026, 1, 1), date(2026, 6, 1))
    assert f_quote == b_quote
    for x, y in ((f_2019, b_2019), (f_2026, b_2026)):
        assert all(np.array_equal(getattr(x, f), getattr(y, f)) for f in x.__slots__)


def test_values_do_not_depend_on_process() -> None:
    """str hashes are salted per process; the model must not depend on them."""
    code = ("from datetime import date, datetime, UTC;"
            "from stockflow.market.calendar import MarketCalendars;"
            "from stockflow.adapters.providers.simulated import PriceModel;"
            "m = PriceModel(42, MarketCalendars(today=date(2026, 11, 22)));"
            "print(repr(m.quote('ETH-USD', datetime(2025, 6, 1, 12, 0, 1, tzinfo=UTC)).price))")
    out = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")]
    assert out[0] == out[1]


def test_anchored_at_reference_price(model: PriceModel) -> None:
    for ticker in ("NVDA", "TCS", "XRP-USD"):
        bars = model.daily(ticker, REFERENCE_DATE, REFERENCE_DATE + timedelta(days=1))
        assert bars.close[-1] == pytest.approx(model.listings[ticker].params.ref_price, abs=1e-9)


# -- daily and minute bars agree -----------------------------------------------------------------

@pytest.mark.parametrize("day", [date(2025, 11, 21), date(2025, 11, 28), date(2019, 3, 4)])
def test_daily_bar_is_the_aggregate_of_its_minutes(model: PriceModel, day: date) -> None:
    for ticker in model.listings:
        daily = model.daily(ticker, day, day + timedelta(days=1))
        if not len(daily):
            continue
        minutes = model.intraday(ticker, day_ts(day), day_ts(day + timedelta(days=1)))
        assert daily.open[0] == minutes.open[0] and daily.close[0] == minutes.close[-1]
        assert daily.high[0] == minutes.high.max() and daily.low[0] == minutes.low.min()
        assert daily.volume[0] == minutes.volume.sum()


def test_daily_high_low_match_minutes_over_a_month(model: PriceModel) -> None:
    for ticker in ("GS", "BHARTIARTL", "SOL-USD"):
        daily = model.daily(ticker, date(2023, 5, 1), date(2023, 6, 1))
        for t, high, low, vol in zip(daily.time, daily.high, daily.low, daily.volume):
            m = model.intraday(ticker, float(t), float(t) + 86400)
            assert (high, low, vol) == (m.high.max(), m.low.min(), m.volume.sum())


def test_aggregated_bars_roll_up_minutes(model: PriceModel) -> None:
    start, end = day_ts(date(2025, 11, 21)), day_ts(date(2025, 11, 22))
    ones = model.intraday("MSFT", start, end, 1)
    for minutes in (5, 15, 60):
        agg = model.intraday("MSFT", start, end, minutes)
        assert agg.volume.sum() == ones.volume.sum()
        assert agg.high.max() == ones.high.max() and agg.low.min() == ones.low.min()
        assert agg.open[0] == ones.open[0] and agg.close[-1] == ones.close[-1]
    hourly = model.intraday("MSFT", start, end, 60)
    assert len(hourly) == 7  # 09:30, 10:30 ... 15:30 (a half hour)
    assert hourly.end[-1] == utc(2025, 11, 21, 21).timestamp()


# -- calendars -----------------------------------------------------------------------------------

def test_no_equity_bars_on_weekends_or_holidays(model: PriceModel) -> None:
    span = (date(2025, 10, 1), date(2026, 1, 1))
    for ticker, holiday in (("AAPL", date(2025, 12, 25)), ("INFY", date(2025, 10, 21))):
        bar_days = {datetime.fromtimestamp(t, UTC).date() for t in model.daily(ticker, *span).time}
        assert holiday not in bar_days
        assert all(d.weekday() < 5 for d in bar_days)
        assert not len(model.intraday(ticker, day_ts(holiday), day_ts(holiday) + 86400))


def test_crypto_bars_every_day(model: PriceModel) -> None:
    bars = model.daily("BTC-USD", date(2025, 12, 1), date(2026, 1, 1))
    assert len(bars) == 31
    assert len(model.intraday("BTC-USD", day_ts(date(2025, 12, 25)), day_ts(date(2025, 12, 26)))) \
        == 1440


def test_minute_bars_only_in_exchange_hours(model: PriceModel, cals: MarketCalendars) -> None:
    bars = model.intraday("RELIANCE", day_ts(date(2025, 11, 17)), day_ts(date(2025, 11, 22)))
    assert len(bars) == 5 * 375
    assert all(cals.is_trading_time("XNSE", datetime.fromtimestamp(t, UTC)) for t in bars.time)


# -- quotes ----------------------------------------------------------------------------------------

def test_quote_outside_hours_is_frozen_at_the_close(model: PriceModel) -> None:
    friday = model.daily("NVDA", date(2025, 11, 21), date(2025, 11, 22))
    quotes = [model.quote("NVDA", at) for at in (utc(2025, 11, 21, 21), utc(2025, 11, 22, 10),
                                                 utc(2025, 11, 24, 14, 29, 59))]
    assert len({(q.price, q.bid, q.ask, q.volume, q.bid_size, q.high) for q in quotes}) == 1
    assert quotes[0].price == friday.close[0] and quotes[0].volume == friday.volume[0]
    assert quotes[0].high == friday.high[0] and quotes[0].low == friday.low[0]


def test_quote_in_session_follows_the_minute_path(model: PriceModel) -> None:
    day = date(2025, 11, 21)
    minutes = model.intraday("JPM", day_ts(day), day_ts(day) + 86400)
    prev = model.daily("JPM", date(2025, 11, 20), date(2025, 11, 21))
    k = 100
    q = model.quote("JPM", datetime.fromtimestamp(int(minutes.time[k]), UTC))
    assert q.price == minutes.open[k]
    assert q.volume == minutes.volume[:k].sum()
    assert q.high == minutes.high[:k].max() and q.low == minutes.low[:k].min()
    assert q.open == minutes.open[0] and q.prev_close == prev.close[0]
    later = model.quote("JPM", datetime.fromtimestamp(int(minutes.time[k]) + 90, UTC))
    assert later.volume > q.volume


def test_crypto_quote_moves_on_weekends(model: PriceModel) -> None:
    a = model.quote("ETH-USD", utc(2025, 11, 22, 10))
    b = model.quote("ETH-USD", utc(2025, 11, 22, 16))
    assert a.price != b.price and a.bid < a.ask


async def test_provider_implements_the_port(provider: SimulatedMarketProvider) -> None:
    assert isinstance(provider, MarketDataProvider)
    assert provider.name == "simulated"
    instruments = await provider.instruments()
    assert len(instruments) >= 40
    assert {"NVDA", "RELIANCE", "BTC-USD", "SPY"} <= {i.ticker for i in instruments}
    assert provider.supports("btc/usd") and not provider.supports("NOPE")
    quotes = await provider.quotes(["NVDA", "TCS", "BTC-USD"])
    assert [q.time for q in quotes] == [utc(2026, 11, 20, 17, 3, 27)] * 3
    assert all(q.provider == "simulated" for q in quotes)


async def test_unknown_ticker_raises_key_error(provider: SimulatedMarketProvider) -> None:
    with pytest.raises(KeyError):
        await provider.quote("NOPE")
    with pytest.raises(KeyError):
        await provider.bars("NOPE", Interval.D1, utc(2025, 1, 1), utc(2025, 2, 1))


async def test_provider_serves_only_complete_bars(provider: SimulatedMarketProvider) -> None:
    now = provider.clock.now()  # Friday 2026-11-20 12:03:27 ET
    minutes = await provider.bars("AAPL", Interval.M1, now - timedelta(hours=1), now + timedelta(1))
    assert minutes[-1].time == utc(2026, 11, 20, 17, 2)
    assert all(b.interval is Interval.M1 and b.ticker == "AAPL" for b in minutes)
    daily = await provider.bars("AAPL", Interval.D1, utc(2026, 11, 1), utc(2026, 12, 1))
    assert daily[-1].time == utc(2026, 11, 19)  # today's session is not over yet
    crypto = await provider.bars("BTC-USD", Interval.D1, utc(2026, 11, 1), utc(2026, 12, 1))
    assert crypto[-1].time == utc(2026, 11, 19)
    hourly = await provider.bars("AAPL", Interval.H1, utc(2026, 11, 20), utc(2026, 11, 21))
    assert [b.time.hour for b in hourly] == [14, 15]  # 14:30 and 15:30 UTC done by 17:03


# -- stylised facts --------------------------------------------------------------------------------

def daily_returns(model: PriceModel, ticker: str) -> tuple[np.ndarray, np.ndarray]:
    bars = model.daily(ticker, date(2020, 11, 1), date(2025, 11, 1))
    return bars.time[1:], np.diff(np.log(bars.close))


def correlation(model: PriceModel, a: str, b: str) -> float:
    (ta, ra), (tb, rb) = daily_returns(model, a), daily_returns(model, b)
    _, ia, ib = np.intersect1d(ta, tb, return_indices=True)
    return float(np.corrcoef(ra[ia], rb[ib])[0, 1])


def test_same_sector_names_correlate_more(model: PriceModel) -> None:
    assert correlation(model, "JPM", "BAC") > correlation(model, "XOM", "NFLX") + 0.15
    assert correlation(model, "XOM", "CVX") > correlation(model, "JNJ", "TSLA") + 0.15
    assert correlation(model, "TCS", "INFY") > correlation(model, "ITC", "SBIN")


def test_volatility_clusters(model: PriceModel) -> None:
    acfs = []
    for ticker in ("SPY", "MSFT", "HDFCBANK", "ETH-USD"):
        _, r = daily_returns(model, ticker)
        x = r * r - (r * r).mean()
        acfs.append(np.mean([(x[lag:] * x[:-lag]).mean() / (x * x).mean() for lag in (1, 2, 3)]))
    assert np.mean(acfs) > 0.05
    assert min(acfs) > 0


def test_realised_volatility_near_parameter(model: PriceModel) -> None:
    for ticker in ("KO", "NVDA", "BTC-USD"):
        _, r = daily_returns(model, ticker)
        periods = 365 if ticker.endswith("-USD") else 252
        target = model.listings[ticker].params.vol
        assert 0.6 * target < r.std() * np.sqrt(periods) < 1.6 * target
