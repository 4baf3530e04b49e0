"""Live bars: watermark and lateness, out-of-order ticks, roll-ups, agreement with history."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockflow.adapters.providers.simulated import SimulatedMarketProvider
from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import Bar, Interval, bar_is_valid
from stockflow.pipeline.bars import BarAggregator, SessionAlignment
from stockflow.testing.fakes import FakeClock

S = 1_000_000                      # µs per second
M = 60 * S
T0 = int(datetime(2025, 11, 21, 10, 0, tzinfo=UTC).timestamp()) * S
EXCHANGES = {"SPY": "XNYS", "KO": "XNYS", "RELIANCE": "XNSE", "BTC-USD": "CRYPTO"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def us(dt: datetime) -> int:
    return int(dt.timestamp()) * S


@pytest.fixture(scope="module")
def cals() -> MarketCalendars:
    return MarketCalendars(today=date(2026, 1, 15))


@pytest.fixture(scope="module")
def alignment(cals: MarketCalendars) -> SessionAlignment:
    return SessionAlignment(EXCHANGES, cals)


def ohlcv(bar: Bar) -> tuple:
    return bar.open, bar.high, bar.low, bar.close, bar.volume


# -- watermark and lateness --------------------------------------------------------------------

def test_out_of_order_and_late_ticks_update_the_right_bar() -> None:
    agg = BarAggregator(lateness_seconds=120)
    assert agg.add("X", T0 + 10 * S, 100.0, 1, "p")
    assert agg.add("X", T0 + 70 * S, 101.0, 1, "p")      # minute 1
    assert agg.add("X", T0 + 130 * S, 102.0, 1, "p")     # minute 2; watermark 10:02:10
    assert agg.add("X", T0 + 5 * S, 99.0, 2, "p")        # earlier: the new open of minute 0
    assert agg.add("X", T0 + 50 * S, 105.0, 1, "p")      # later: the new close, and the high
    assert agg.add("X", T0 + 30 * S, 98.0, 1, "p")       # in between: only the low moves
    assert agg.drain() == []
    assert agg.add("X", T0 + 180 * S, 103.0, 1, "p")     # watermark = minute 0's end + 120 s
    [bar] = agg.drain()
    assert (bar.interval, bar.time, bar.provider) == (Interval.M1, utc(2025, 11, 21, 10, 0), "p")
    assert ohlcv(bar) == (99.0, 105.0, 98.0, 105.0, 5)
    assert not agg.add("X", T0 + 59 * S, 1.0, 1, "p")     # its bar is closed: too late
    assert agg.add("X", T0 + 119 * S, 97.0, 4, "q")      # minute 1 is still open
    agg.add("X", T0 + 240 * S, 104.0, 1, "p")
    [bar] = agg.drain()
    assert bar.time == utc(2025, 11, 21, 10, 1)
    assert ohlcv(bar) == (101.0, 101.0, 97.0, 97.0, 5)
    assert bar.provider == "pipeline"                     # two providers made this bar


def test_a_bar_closes_exactly_at_end_plus_lateness() -> None:
    agg = BarAggregator(lateness_seconds=30)
    agg.add("X", T0, 10.0, 1, "p")
    agg.add("X", T0 + M + 30 * S - 1, 10.0, 1, "p")
    assert agg.drain() == []
    assert agg.cutoff("X") == T0
    agg.add("X", T0 + M + 30 * S, 10.0, 1, "p")
    assert [b.time for b in agg.drain()] == [utc(2025, 11, 21, 10, 0)]
    assert agg.cutoff("X") == T0 + M
    assert agg.watermark("X") == T0 + M + 30 * S


def test_wall_clock_closes_quiet_tickers_and_drops_their_state() -> None:
    agg = BarAggregator(lateness_seconds=120)
    agg.add("X", T0 + 5 * S, 10.0, 1, "p")
    agg.add("Y", T0 + 7 * S, 20.0, 1, "p")
    agg.advance(T0 + 3 * M - 1)
    assert agg.drain() == []
    agg.advance(T0 + 3 * M)
    assert {b.ticker for b in agg.drain() if b.interval is Interval.M1} == {"X", "Y"}
    assert not agg.add("X", T0 + 30 * S, 10.0, 1, "p")
    agg.advance(T0 + 2 * 86_400 * S)
    rolled = agg.drain()
    assert {(b.ticker, b.interval) for b in rolled} == {
        (t, i) for t in "XY" for i in (Interval.M5, Interval.M15, Interval.H1, Interval.D1)}
    assert agg.open_buckets("X") == agg.open_buckets("Y") == 0


# -- roll-ups ----------------------------------------------------------------------------------

def aggregate_directly(ticks: list[tuple[int, float, int]], key) -> dict[tuple, tuple]:
    """Bars straight from ticks given in arrival order: open/close by time, ties by arrival."""
    groups: dict[tuple, list] = defaultdict(list)
    for ts, price, size in ticks:
        k = key(ts)
        if k is not None:
            groups[k].append((ts, price, size))
    out = {}
    for k, g in groups.items():
        g.sort(key=lambda t: t[0])          # stable: equal times keep arrival order
        prices = [p for _, p, _ in g]
        out[k] = (g[0][1], max(prices), min(prices), g[-1][1], sum(s for _, _, s in g))
    return out


tick_lists = st.lists(
    st.tuples(st.floats(0, 1), st.floats(1.0, 1000.0), st.integers(0, 1000),
              st.floats(0, 59.0)),
    min_size=1, max_size=80)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ticks=tick_lists,
       case=st.sampled_from([
           ("BTC-USD", utc(2025, 11, 21, 23, 0), 10 * 60),       # 24/7: minutes
           ("BTC-USD", utc(2025, 11, 21, 20, 0), 3 * 3600),      # across UTC midnight
           ("UNKNOWN", utc(2025, 11, 20, 0, 0), 2 * 86_400),     # no exchange: UTC too
           ("SPY", utc(2025, 11, 21, 13, 0), 9 * 3600),          # pre-market to post-market
           ("SPY", utc(2025, 11, 28, 17, 0), 2 * 3600),          # half day: closes 18:00 UTC
           ("RELIANCE", utc(2025, 11, 21, 3, 0), 8 * 3600),      # XNSE opens 03:45 UTC
       ]))
def test_rollups_equal_aggregating_the_ticks_directly(alignment, ticks, case) -> None:
    ticker, start, span = case
    base = us(start)
    # Arrival order: time plus up to a minute of jitter, so ticks come out of order but never
    # later than the 120 s lateness allows.
    timed = [(base + round(f * span * S), p, s, round(j * S)) for f, p, s, j in ticks]
    arrivals = [(ts, p, s) for ts, p, s, _ in sorted(timed, key=lambda t: t[0] + t[3])]
    agg = BarAggregator(lateness_seconds=120, alignment=alignment)
    assert all(agg.add(ticker, ts, p, s, "p") for ts, p, s in arrivals)
    agg.advance(base + (span + 2 * 86_400) * S)
    bars = agg.drain()

    assert all(bar_is_valid(b) for b in bars)
    assert agg.open_buckets(ticker) == 0
    got = {(b.interval, b.time): ohlcv(b) for b in bars}
    assert len(got) == len(bars)                          # each bucket closed once
    want = {(Interval.M1, datetime.fromtimestamp(k, UTC)): v
            for k, v in aggregate_directly(arrivals, lambda ts: (ts - ts % M) // S).items()}
    for interval in (Interval.M5, Interval.M15, Interval.H1, Interval.D1):
        def key(ts, interval=interval):
            bucket = alignment.bucket(ticker, interval, ts - ts % M)
            return None if bucket is None else bucket[0] // S
        want |= {(interval, datetime.fromtimestamp(k, UTC)): v
                 for k, v in aggregate_directly(arrivals, key).items()}
    assert got == want
    for interval in Interval:
        times = [b.time for b in bars if b.interval is interval]
        assert times == sorted(times)


# -- alignment with the simulated provider -----------------------------------------------------

def test_bucket_bounds_follow_the_session(alignment) -> None:
    def bounds(ticker, interval, at):
        b = alignment.bucket(ticker, interval, us(at))
        return None if b is None else tuple(datetime.fromtimestamp(x // S, UTC) for x in b)

    assert bounds("SPY", Interval.H1, utc(2025, 11, 21, 20, 45)) == (
        utc(2025, 11, 21, 20, 30), utc(2025, 11, 21, 21, 0))           # last hour stops at close
    assert bounds("SPY", Interval.M5, utc(2025, 11, 21, 14, 33)) == (
        utc(2025, 11, 21, 14, 30), utc(2025, 11, 21, 14, 35))
    assert bounds("SPY", Interval.D1, utc(2025, 11, 21, 15, 0)) == (
        utc(2025, 11, 21), utc(2025, 11, 21, 21, 0))
    assert bounds("SPY", Interval.H1, utc(2025, 11, 21, 13, 0)) is None  # pre-market
    assert bounds("SPY", Interval.D1, utc(2025, 11, 22, 15, 0)) is None  # Saturday
    assert bounds("RELIANCE", Interval.H1, utc(2025, 11, 21, 9, 50)) == (
        utc(2025, 11, 21, 9, 45), utc(2025, 11, 21, 10, 0))
    assert bounds("BTC-USD", Interval.H1, utc(2025, 11, 22, 15, 10)) == (
        utc(2025, 11, 22, 15, 0), utc(2025, 11, 22, 16, 0))
    assert bounds("BTC-USD", Interval.D1, utc(2025, 11, 22, 15, 10)) == (
        utc(2025, 11, 22), utc(2025, 11, 23))
    assert alignment.bucket_start("SPY", Interval.M15, us(utc(2025, 11, 21, 14, 50))) == us(
        utc(2025, 11, 21, 14, 45))


@pytest.mark.parametrize(("ticker", "day"), [
    ("SPY", date(2025, 11, 21)),
    ("KO", date(2025, 11, 28)),          # NYSE half day
    ("SPY", date(2025, 7, 15)),          # daylight saving time: opens 13:30 UTC
    ("RELIANCE", date(2025, 11, 21)),
    ("BTC-USD", date(2025, 11, 22)),
])
def test_live_bars_match_the_simulated_history(cals, alignment, ticker, day) -> None:
    provider = SimulatedMarketProvider(42, cals, FakeClock(utc(2026, 1, 10)))
    start = datetime.combine(day, datetime.min.time(), UTC)
    end = start + timedelta(days=1)
    minutes = provider.backfill_bars(ticker, Interval.M1, start, end)
    assert minutes
    agg = BarAggregator(lateness_seconds=120, alignment=alignment)
    for b in minutes:     # four trades a minute: open, high, low, close, volume split four ways
        t, v = us(b.time), b.volume
        for offset, price, size in ((1, b.open, v // 4), (20, b.high, v // 4),
                                    (40, b.low, v // 4), (59, b.close, v - 3 * (v // 4))):
            assert agg.add(ticker, t + offset * S, price, size, "simulated")
    agg.advance(us(end) + 86_400 * S)
    live = defaultdict(list)
    for bar in agg.drain():
        live[bar.interval].append(bar)
    for interval in Interval:
        stored = provider.backfill_bars(ticker, interval, start, end)
        assert stored, interval
        assert live[interval] == stored, interval
