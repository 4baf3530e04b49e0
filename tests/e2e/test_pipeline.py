"""The tick pipeline end to end on the embedded defaults (in-process bus, SQLite)."""

from __future__ import annotations

import math
from datetime import timedelta

import orjson
import pytest

from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import RAW_TICKS
from stockflow.core.events import make_event
from stockflow.market.domain import Interval
from stockflow.market.service import MarketDataService, quote_key
from stockflow.pipeline.repository import SqlTickStore
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import MARKET_TIME, make_settings

RAW = RAW_TICKS.name
RAW_DLQ = RAW_TICKS.dlq

NOW_US = int(MARKET_TIME.timestamp() * 1_000_000)


@pytest.fixture
async def pipeline(tmp_path):
    c = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False}),
                  clock=FakeClock(MARKET_TIME))
    await c.start()
    dlq = EventCapture()
    c.bus.subscribe(RAW_DLQ, "test", dlq)
    yield c, dlq
    await c.stop()


def tick(seq: int, symbol: str = "NVDA", **over) -> dict:
    base = {"provider": "test", "symbol": symbol, "seq": seq, "ts": NOW_US - 60_000_000 + seq,
            "price": 180.0 + seq % 5 * 0.01, "size": 10, "bid": 179.99, "ask": 180.01,
            "bid_size": 100, "ask_size": 100, "prev_close": 178.0}
    base.update(over)
    return base


async def ingest(c, ticks: list[dict]) -> None:
    """Publish a batch exactly as the ingestion worker does, and let the pipeline settle."""
    await c.bus.publish(RAW, make_event(RAW, {"ticks": ticks}))
    await c.bus.drain()


async def test_good_ticks_are_stored_once_and_quotes_reach_the_cache(pipeline):
    c, _ = pipeline
    ticks = [tick(i, sym) for i, sym in enumerate(["NVDA", "MSFT", "btcusdt"] * 100)]
    for t in ticks:
        if t["symbol"] == "btcusdt":
            t.update(provider="binance", price=95_000.0, bid=94_999.0, ask=95_001.0,
                     prev_close=94_000.0)
    await ingest(c, ticks)
    await ingest(c, ticks)  # a replay: recognised by identity, nothing stored twice
    rows, distinct = await SqlTickStore(c.db).counts()
    assert rows == distinct == 300
    cached = orjson.loads(await c.cache.get(quote_key("BTC-USD")))
    assert cached["ticker"] == "BTC-USD" and cached["price"] == 95_000.0
    resp, meta = await c.port(MarketDataService).quote_json("NVDA")
    assert meta == {}
    assert orjson.loads(resp)["provider"] == "test"  # the pipeline's quote, not a cache miss


@pytest.mark.parametrize(("bad", "reason"), [
    ({"price": 0.0}, "non_positive_price"),
    ({"price": -1.0}, "non_positive_price"),
    ({"price": math.nan}, "non_finite_price"),
    ({"price": math.inf}, "non_finite_price"),
    ({"bid": 181.0, "ask": 180.0}, "crossed_quote"),
    ({"ts": NOW_US + 3_600_000_000}, "future_timestamp"),
    ({"price": "abc"}, "unparsable"),
    ({"symbol": "NOSUCH"}, "unknown_symbol"),
])
async def test_each_kind_of_bad_tick_is_dead_lettered_and_the_rest_flows(pipeline, bad, reason):
    c, dlq = pipeline
    batch = [tick(1), tick(2, **bad), tick(3)]
    await ingest(c, batch)
    await c.bus.drain()
    rows, _ = await SqlTickStore(c.db).counts()
    assert rows == 2
    reasons = [e.data["reason"] for e in dlq.events]
    assert reasons == [reason]
    assert dlq.events[0].data["tick"]["seq"] == 2


async def test_a_message_that_is_not_a_tick_batch_is_dead_lettered(pipeline):
    c, dlq = pipeline
    await c.bus.publish(RAW, make_event(RAW, {"not": "ticks"}))
    await c.bus.publish_raw(RAW, b"\x00 definitely not json")
    await ingest(c, [tick(1)])
    reasons = [e.data.get("reason", "") for e in dlq.events]
    assert "malformed_batch" in reasons
    assert any("parse" in r.lower() or "json" in r.lower() for r in reasons), reasons
    rows, _ = await SqlTickStore(c.db).counts()
    assert rows == 1  # the pipeline kept going


async def test_closed_bars_are_stored_as_history(pipeline):
    c, _ = pipeline
    start = NOW_US - 10 * 60_000_000
    ticks = [tick(i, ts=start + i * 1_000_000, price=180 + (i % 7) * 0.1) for i in range(300)]
    await ingest(c, ticks)
    c.clock.advance(600)  # wall clock moves past the lateness window; the flush closes the bars
    await c.registry.running_workers["processor"].unit.flush()
    await c.bus.drain()
    bars = await c.port(MarketDataService).store.read_bars("NVDA", Interval.M1,
                                          MARKET_TIME - timedelta(minutes=11),
                                          MARKET_TIME + timedelta(minutes=20), 100)
    assert len(bars) >= 5
    assert all(b.provider in ("test", "pipeline") for b in bars)
