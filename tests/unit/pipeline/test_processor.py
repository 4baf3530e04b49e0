"""The tick processor: rejects, enrichment, sessions, quotes, de-duplication, bars."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime

import orjson
import pytest

from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import AssetClass, Instrument, Interval, Quote, bar_is_valid
from stockflow.market.schemas import quote_to_wire
from stockflow.pipeline.processor import ProcessResult, TickProcessor

S = 1_000_000
T0 = int(datetime(2025, 11, 21, 15, 0, tzinfo=UTC).timestamp()) * S   # Friday, NYSE open
NOW = T0 + 3600 * S


def tick(seq: int, ts: int = T0, price: float = 100.0, size: float = 10, *,
         provider: str = "binance", symbol: str = "BTCUSDT", **more) -> dict:
    return {"provider": provider, "symbol": symbol, "seq": seq, "ts": ts, "price": price,
            "size": size, "bid": more.pop("bid", None), "ask": more.pop("ask", None),
            "bid_size": more.pop("bid_size", None), "ask_size": more.pop("ask_size", None),
            "prev_close": more.pop("prev_close", None), **more}


@pytest.fixture(scope="module")
def cals() -> MarketCalendars:
    return MarketCalendars(today=date(2026, 1, 15))


# -- rejects -----------------------------------------------------------------------------------

def test_every_bad_tick_is_rejected_with_its_reason_and_good_ones_go_through() -> None:
    proc = TickProcessor(universe={"BTC-USD", "ETH-USD"})
    proc.process([tick(1, T0 + 600 * S)], NOW)                # watermark for too_late
    bad = {
        "unparsable": tick(10, price="100"),
        "non_positive_price": tick(11, T0 + 600 * S, price=0.0),
        "non_finite_price": tick(12, T0 + 600 * S, price=math.nan),
        "crossed_quote": tick(13, T0 + 600 * S, bid=101.0, ask=100.0),
        "future_timestamp": tick(14, NOW + 5 * S + 1),
        "negative_size": tick(15, T0 + 600 * S, size=-1),
        "unknown_symbol": tick(16, T0 + 600 * S, symbol="DOGEUSDT"),
        "too_late": tick(17, T0 + 600 * S - 121 * S),
    }
    good = [tick(20, T0 + 601 * S), tick(21, T0 + 602 * S, symbol="ETHUSDT"),
            tick(22, T0 + 603 * S, bid=100.0, ask=100.0),   # locked book is fine
            tick(23, NOW + 5 * S, symbol="ETHUSDT"),       # exactly max_future ahead
            tick(24, T0 + 600 * S - 120 * S)]              # its bar is still open
    batch = [good[0], *bad.values(), *good[1:]]
    result = proc.process(batch, NOW)
    assert {r[1] for r in result.rejects} == set(bad)
    for raw, reason, detail in result.rejects:
        assert raw is bad[reason] and isinstance(detail, str) and detail
    assert [t["seq"] for t in result.processed] == [20, 21, 22, 23, 24]
    assert json.dumps([[r, str(reason), d] for r, reason, d in result.rejects[1:]])


def test_symbols_are_mapped_and_the_explicit_map_wins() -> None:
    proc = TickProcessor(symbol_map={"HDFC": "HDFCBANK", ("yahoo", "BRK-B"): "BRK.B"})
    batch = [tick(1, symbol="BTCUSDT"), tick(2, provider="dhan", symbol="NSE:RELIANCE"),
             tick(3, provider="dhan", symbol="INFY-EQ"), tick(4, provider="yahoo",
                                                              symbol="TCS.NS"),
             tick(5, provider="sim", symbol="aapl"), tick(6, provider="dhan", symbol="HDFC"),
             tick(7, provider="yahoo", symbol="BRK-B")]
    got = [(t["symbol"], t["ticker"]) for t in proc.process(batch, NOW).processed]
    assert got == [("BTCUSDT", "BTC-USD"), ("NSE:RELIANCE", "RELIANCE"), ("INFY-EQ", "INFY"),
                   ("TCS.NS", "TCS"), ("aapl", "AAPL"), ("HDFC", "HDFCBANK"),
                   ("BRK-B", "BRK.B")]


def test_timestamp_forms_give_the_same_ts_and_time() -> None:
    forms = [T0 + 123_456, (T0 + 123_456) / S, (T0 + 123_456) * 1000 + 999,
             "2025-11-21T15:00:00.123456Z", "2025-11-21T10:00:00.123456-05:00",
             "2025-11-21T20:30:00.123456+05:30"]
    result = TickProcessor().process([tick(i, ts) for i, ts in enumerate(forms)], NOW)
    assert {(t["ts"], t["time"]) for t in result.processed} == {
        (T0 + 123_456, "2025-11-21T15:00:00.123456Z")}


# -- enrichment --------------------------------------------------------------------------------

def test_enrichment_on_a_hand_computed_example() -> None:
    proc = TickProcessor()
    result = proc.process([
        tick(1, T0, 100.0, 100, prev_close=80.0, bid=99.5, ask=100.5, bid_size=7, ask_size=9),
        tick(2, T0 + S, 104.0, 300, bid=103.75, ask=104.25),
        tick(3, T0 + 2 * S, 96.0, 0.5),
    ], NOW)
    a, b, c = result.processed
    assert a["id"] == "binance:BTCUSDT:1" and a["ticker"] == "BTC-USD"
    assert (a["mid"], a["spread"], a["vwap"], a["volume"]) == (100.0, 1.0, 100.0, 100)
    assert (a["prev_close"], a["change"], a["change_pct"]) == (80.0, 20.0, 25.0)
    assert (b["mid"], b["spread"]) == (104.0, 0.5)
    assert b["vwap"] == 103.0                          # (100*100 + 104*300) / 400
    assert b["prev_close"] == 80.0 and b["change"] == 24.0   # remembered from tick 1
    assert b["change_pct"] == pytest.approx(30.0, rel=1e-12)
    assert (c["mid"], c["spread"], c["volume"]) == (None, None, 400.5)
    assert c["vwap"] == pytest.approx((100 * 100 + 104 * 300 + 96 * 0.5) / 400.5, rel=1e-15)
    assert (c["day_open"], c["day_high"], c["day_low"]) == (100.0, 104.0, 96.0)
    assert c["change_pct"] == pytest.approx(20.0, rel=1e-12)
    assert type(a) is dict and list(a) == [
        "id", "provider", "symbol", "seq", "ticker", "ts", "time", "price", "size", "bid", "ask",
        "bid_size", "ask_size", "mid", "spread", "prev_close", "change", "change_pct", "vwap",
        "volume", "day_open", "day_high", "day_low"]
    assert orjson.loads(orjson.dumps(result.processed)) == result.processed
    assert json.loads(json.dumps(a)) == a
    a["extra"] = 1                     # consumers may treat it as any dict
    del a["extra"], a["mid"]
    assert "mid" not in a and b["mid"] == 104.0


def test_prev_close_preference_and_session_reset_for_24_7() -> None:
    proc = TickProcessor()
    day2 = int(datetime(2025, 11, 22, tzinfo=UTC).timestamp()) * S
    first = proc.process([tick(1, day2 - 60 * S, 50.0, 10)], day2).processed[0]
    assert first["prev_close"] is None and first["change"] is None
    proc.seed_prev_close("BTC-USD", 40.0)
    assert proc.process([tick(2, day2 - 59 * S, 60.0, 10)], day2).processed[0]["prev_close"] == 40
    # The UTC day rolls: our own close of yesterday (60) beats the seed; running totals restart.
    new_day = proc.process([tick(3, day2 + S, 66.0, 5)], day2).processed[0]
    assert (new_day["prev_close"], new_day["change"]) == (60.0, 6.0)
    assert (new_day["volume"], new_day["vwap"], new_day["day_open"]) == (5, 66.0, 66.0)
    # A late tick of yesterday still counts for yesterday, and moves yesterday's close.
    late = proc.process([tick(4, day2 - 10 * S, 70.0, 20)], day2).processed[0]
    assert (late["volume"], late["day_open"], late["prev_close"]) == (40, 50.0, 40.0)
    assert late["vwap"] == (50 * 10 + 60 * 10 + 70 * 20) / 40
    nxt = proc.process([tick(5, day2 + 2 * S, 77.0, 5)], day2).processed[0]
    assert (nxt["prev_close"], nxt["volume"]) == (70.0, 10)
    # The tick's own prev_close wins over everything.
    own = proc.process([tick(6, day2 + 3 * S, 77.0, 5, prev_close=75.0)], day2).processed[0]
    assert own["prev_close"] == 75.0


def test_equity_sessions_follow_the_exchange_local_date(cals) -> None:
    proc = TickProcessor(exchange_of={"AAPL": "XNAS"}, calendars=cals)
    fri = int(datetime(2025, 11, 21, 20, 59, tzinfo=UTC).timestamp()) * S
    mon = int(datetime(2025, 11, 24, 14, 31, tzinfo=UTC).timestamp()) * S
    # 00:30 UTC Saturday is still Friday evening in New York: the same session.
    after = fri + (3 * 3600 + 31 * 60) * S
    out = proc.process([tick(1, fri, 200.0, 10, provider="sim", symbol="AAPL"),
                        tick(2, after, 201.0, 10, provider="sim", symbol="AAPL")],
                       after).processed
    assert out[1]["volume"] == 20
    # Monday's previous session is Friday: its last price is Monday's prev_close.
    mon_tick = proc.process([tick(3, mon, 210.0, 5, provider="sim", symbol="AAPL")],
                            mon).processed[0]
    assert (mon_tick["volume"], mon_tick["prev_close"]) == (5, 201.0)


def test_own_close_is_not_used_across_a_missed_session(cals) -> None:
    proc = TickProcessor(exchange_of={"AAPL": "XNAS"}, calendars=cals)
    thu = int(datetime(2025, 11, 20, 20, 0, tzinfo=UTC).timestamp()) * S
    mon = int(datetime(2025, 11, 24, 15, 0, tzinfo=UTC).timestamp()) * S
    proc.process([tick(1, thu, 200.0, provider="sim", symbol="AAPL")], thu)
    out = proc.process([tick(2, mon, 210.0, provider="sim", symbol="AAPL")], mon).processed[0]
    assert out["prev_close"] is None          # Friday was never seen


# -- quotes ------------------------------------------------------------------------------------

def test_quotes_have_the_quote_to_wire_shape_and_the_latest_state() -> None:
    btc = Instrument("BTC-USD", "Bitcoin", "CRYPTO", AssetClass.CRYPTO, "USD", "Crypto",
                     "Crypto", 1)
    proc = TickProcessor(instrument_of={"BTC-USD": btc}.get)
    result = proc.process([
        tick(1, T0 + 2 * S, 101.0, 1, bid=100.5, ask=101.5, bid_size=3, ask_size=4,
             prev_close=100.0),
        tick(2, T0, 99.0, 1, bid=98.0, ask=99.5),        # older: does not become the quote
        tick(3, T0 + S, 100.0, 2, symbol="ETHUSDT"),     # no book, no prev close known
    ], NOW)
    q_btc, q_eth = sorted(result.quotes, key=lambda q: q["ticker"])
    ref = quote_to_wire(Quote("BTC-USD", datetime.fromtimestamp((T0 + 2 * S) / S, UTC), 101.0,
                              100.5, 101.5, 3, 4, 2, 99.0, 101.0, 99.0, 100.0, "binance"),
                        currency="USD", exchange="CRYPTO")
    assert q_btc == ref
    assert set(q_eth) == set(ref) - {"currency", "exchange"}
    assert (q_eth["bid"], q_eth["ask"], q_eth["spread"]) == (100.0, 100.0, 0.0)
    assert q_eth["prev_close"] is q_eth["change"] is q_eth["change_pct"] is None
    assert orjson.dumps(result.quotes)


# -- de-duplication ----------------------------------------------------------------------------

def state_after(proc: TickProcessor, ts: int) -> dict:
    return proc.process([tick(999, ts, 100.0, 1)], NOW).processed[0]


def test_replaying_a_batch_changes_nothing() -> None:
    batch = [tick(i, T0 + i * 20 * S, 100.0 + i, 10 + i) for i in range(20)]
    batch.append(tick(5, T0 + 100 * S, 100.0, 1))            # a duplicate inside the batch
    ref, proc = TickProcessor(), TickProcessor()
    first = ref.process(batch, NOW)
    assert first.duplicates == 1 and len(first.processed) == 20
    proc.process(batch, NOW)
    again = proc.process(list(reversed(batch)), NOW)
    assert again == ProcessResult(duplicates=21)
    # after the bars closed, a replay is still a duplicate, not a late tick
    assert proc.flush(NOW) == ref.flush(NOW)
    assert proc.process(batch, NOW).duplicates == 21
    assert state_after(proc, NOW) == state_after(ref, NOW)


def test_dedup_memory_is_bounded() -> None:
    proc = TickProcessor(dedup_capacity=100)
    for i in range(0, 300, 10):
        proc.process([tick(j, T0 + j * S) for j in range(i, i + 10)], NOW)
    assert len(proc._seen) + len(proc._seen_old) <= 100
    assert proc.process([tick(295, T0 + 295 * S)], NOW).duplicates == 1   # recent: remembered


# -- bars --------------------------------------------------------------------------------------

def test_bars_close_by_watermark_and_by_flush() -> None:
    proc = TickProcessor(lateness_seconds=60)
    r = proc.process([tick(i, T0 + i * 10 * S, 100.0 + i % 7, 1) for i in range(30)], NOW)
    assert [b.time.minute for b in r.bars] == [0, 1, 2]      # watermark 15:04:50
    assert all(b.provider == "binance" and b.interval is Interval.M1 for b in r.bars)
    flushed = proc.flush(T0 + 3 * 3600 * S)
    assert flushed.processed == [] and flushed.rejects == []
    by_interval = {i: [b for b in flushed.bars if b.interval is i] for i in Interval}
    assert [b.time.minute for b in by_interval[Interval.M1]] == [3, 4]
    assert len(by_interval[Interval.M5]) == len(by_interval[Interval.H1]) == 1
    assert by_interval[Interval.M5][0].volume == 30
    assert by_interval[Interval.D1] == []                    # the UTC day is not over yet
    assert all(bar_is_valid(b) for b in r.bars + flushed.bars)
    late = proc.process([tick(100, T0 + 290 * S)], T0 + 3 * 3600 * S)
    assert late.rejects[0][1] == "too_late"
