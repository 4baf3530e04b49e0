"""Streaming ingestion over real WebSockets: a local server speaking Binance's combined trade
stream and Dhan's binary live feed. Ticks reach market.ticks.raw in batches, a bad frame goes to
the dead-letter topic with its reason, a dropped connection is re-established, and what the
processor makes of the ticks is the right instrument."""

from __future__ import annotations

import json
import struct
from contextlib import asynccontextmanager

import orjson
import pytest
from pydantic import SecretStr
from websockets.asyncio.server import serve

from stockflow.adapters.bus.memory import MemoryBus
from stockflow.adapters.providers.binance.stream import BinanceTradeFeed
from stockflow.adapters.providers.dhan.stream import DhanLiveFeed
from stockflow.core.catalogue import RAW_TICKS
from stockflow.core.clock import SystemClock
from stockflow.core.metrics import Metrics
from stockflow.pipeline.domain import normalise_symbol, parse_tick
from stockflow.pipeline.metrics import PipelineMetrics
from stockflow.pipeline.streams import StreamIngestion
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture
from tests.providers.conftest import payload_json

RAW = RAW_TICKS.name
RAW_DLQ = RAW_TICKS.dlq

class FeedServer:
    """Sends each connection its script of frames; records the path and what clients sent."""

    def __init__(self, scripts):
        self.scripts = list(scripts)
        self.paths: list[str] = []
        self.received: list[str] = []
        self.url = ""

    async def handler(self, ws):
        self.paths.append(ws.request.path)
        script = self.scripts.pop(0) if self.scripts else []
        for frame in script:
            if frame == "wait-subscribe":
                self.received.append(await ws.recv())
                continue
            await ws.send(frame)
        if self.scripts:
            return  # closing the connection: the client must come back for the next script
        await ws.wait_closed()


@asynccontextmanager
async def feed_server(scripts):
    server = FeedServer(scripts)
    async with serve(server.handler, "127.0.0.1", 0) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        server.url = f"ws://127.0.0.1:{port}"
        yield server


async def run_until(ingestion, condition, timeout=10.0):
    await ingestion.start()
    try:
        await eventually(condition, timeout=timeout, message="stream delivered")
    finally:
        await ingestion.stop()


def make(feed, bus):
    return StreamIngestion(feed, bus, SystemClock(), PipelineMetrics(Metrics().registry),
                           flush_seconds=0.05,
                           backoff_base=0.01, backoff_cap=0.05)


def trade(symbol, t, price):
    event = {**payload_json("binance/ws_trade_event.json"), "s": symbol, "t": t, "p": price}
    return json.dumps({"stream": f"{symbol.lower()}@trade", "data": event})


async def test_binance_trades_reach_the_raw_topic_and_survive_a_reconnect():
    first = [trade("BTCUSDT", 1, "91000.10"), trade("ETHUSDT", 2, "3100.5"), "{not json"]
    second = [trade("BTCUSDT", 3, "91000.30")]
    bus = MemoryBus(metrics=Metrics())
    raw, dead = EventCapture(), EventCapture()
    bus.subscribe(RAW, "test", raw)
    bus.subscribe(RAW_DLQ, "test", dead)
    await bus.start()
    async with feed_server([first, second]) as server:
        feed = BinanceTradeFeed(["BTC-USD", "ETH-USD", "AAPL"],
                                base_url=server.url)
        ingestion = make(feed, bus)

        def ticks():
            return [t for e in raw.events for t in e.data["ticks"]]

        await run_until(ingestion, lambda: len(ticks()) >= 3 and dead.events)
    await bus.stop()
    assert server.paths[0] == "/stream?streams=btcusdt@trade/ethusdt@trade"
    assert [(t["symbol"], t["seq"], t["price"]) for t in ticks()] == [
        ("BTCUSDT", 1, 91000.1), ("ETHUSDT", 2, 3100.5), ("BTCUSDT", 3, 91000.3)]
    assert ingestion.connections == 2  # the server dropped the first connection
    [bad] = dead.events
    assert bad.data["reason"] == "unparsable" and bad.data["frame"] == "{not json"
    for t in ticks():  # the pipeline's own parser accepts them and maps the symbols
        parse_tick(t)
        assert normalise_symbol("binance", t["symbol"]) in {"BTC-USD", "ETH-USD"}


LTT = 1_732_800_000


async def test_dhan_feed_subscribes_decodes_and_names_the_instrument():
    ticker = struct.pack("<BHBIfI", 2, 16, 1, 11536, 4520.05, LTT)
    prev = struct.pack("<BHBIfI", 6, 16, 1, 11536, 4507.85, 0)
    bus = MemoryBus(metrics=Metrics())
    raw, dead = EventCapture(), EventCapture()
    bus.subscribe(RAW, "test", raw)
    bus.subscribe(RAW_DLQ, "test", dead)
    await bus.start()
    token = "dhan-token-4411"
    async with feed_server([["wait-subscribe", prev, ticker, b"\x02\x00", "text"]]) as server:
        feed = DhanLiveFeed(["TCS", "RELIANCE"], token=SecretStr(token), client_id="100",
                            base_url=server.url)
        assert token not in repr(feed)
        ingestion = make(feed, bus)
        await run_until(ingestion, lambda: raw.events and len(dead.events) == 2)
    await bus.stop()
    assert f"token={token}" in server.paths[0] and "clientId=100" in server.paths[0]
    sub = orjson.loads(server.received[0])
    assert sub == {"RequestCode": 17, "InstrumentCount": 2, "InstrumentList": [
        {"ExchangeSegment": "NSE_EQ", "SecurityId": "11536"},
        {"ExchangeSegment": "NSE_EQ", "SecurityId": "2885"}]}
    [tick] = raw.events[0].data["ticks"]
    assert tick["symbol"] == "TCS" and tick["price"] == 4520.05
    assert tick["prev_close"] == 4507.85 and tick["ts"] == LTT * 1_000_000
    parse_tick(tick)
    assert normalise_symbol("dhan", tick["symbol"]) == "TCS"
    assert {e.data["reason"] for e in dead.events} == {"unparsable"}


def test_feeds_need_tickers_they_can_map():
    with pytest.raises(ValueError):
        BinanceTradeFeed(["AAPL"])
    with pytest.raises(ValueError):
        DhanLiveFeed(["AAPL"], token=SecretStr("x"), client_id="1")
