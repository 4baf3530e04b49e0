"""WS /v1/stream/quotes with a real WebSocket client against a real server (uvicorn, in-process)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import orjson
import pytest
import websockets

from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import QUOTE_STREAM
from stockflow.market.streaming import QuoteHub
from stockflow.testing.eventually import eventually
from tests.conftest import make_settings, serving

QUOTE_CHANNEL = QUOTE_STREAM.name

@pytest.fixture
async def server(tmp_path):
    container = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False},
                                        streams={"heartbeat_seconds": 0.3},
                                        http={"access_log": False}))
    async with serving(container) as url:
        yield container, url


async def push_quotes(container, quotes: list[dict]) -> None:
    """Feed the fan-out the way the realtime worker does: one pub/sub message per batch."""
    await container.pubsub.publish(QUOTE_CHANNEL, orjson.dumps(quotes))


async def recv_until(ws, kind: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if msg["type"] == kind:
            return msg


async def test_subscribe_snapshot_updates_unsubscribe(server):
    container, url = server
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"action": "subscribe", "tickers": ["nvda", "BTC-USD"]}))
        snap = await recv_until(ws, "snapshot")
        assert [q["ticker"] for q in snap["data"]] == ["NVDA", "BTC-USD"]
        await push_quotes(container, [{"ticker": "NVDA", "price": 1.5},
                                      {"ticker": "MSFT", "price": 9.0}])
        update = await recv_until(ws, "quote")
        assert update["data"] == {"ticker": "NVDA", "price": 1.5}  # MSFT was not asked for
        await ws.send(json.dumps({"action": "unsubscribe", "tickers": ["NVDA"]}))
        await recv_until(ws, "unsubscribed")
        await push_quotes(container, [{"ticker": "NVDA", "price": 2.0},
                                      {"ticker": "BTC-USD", "price": 3.0}])
        update = await recv_until(ws, "quote")
        assert update["data"]["ticker"] == "BTC-USD"


async def test_heartbeat_ping_and_errors_keep_the_connection_open(server):
    _, url = server
    async with websockets.connect(url) as ws:
        assert (await recv_until(ws, "heartbeat"))["ts"] > 0
        await ws.send(json.dumps({"action": "ping"}))
        await recv_until(ws, "pong")
        for bad, status in [("not json", 422), ('{"action": "dance"}', 422),
                            ('{"action": "subscribe", "tickers": []}', 422),
                            ('{"action": "subscribe", "tickers": ["NOPE"]}', 404)]:
            await ws.send(bad)
            err = (await recv_until(ws, "error"))["error"]
            assert err["status"] == status and err["type"] and err["detail"]
        await ws.send(json.dumps({"action": "subscribe", "tickers": ["AAPL"]}))
        assert (await recv_until(ws, "snapshot"))["data"][0]["ticker"] == "AAPL"


async def test_a_client_that_never_reads_neither_slows_others_nor_grows(server):
    container, url = server
    tickers = ["NVDA", "MSFT", "AAPL", "AMZN", "BTC-USD"]
    padding = "x" * 4000  # big frames fill the stalled client's socket buffers quickly
    latest: dict[str, int] = {}

    async def read_all(ws) -> None:
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "quote":
                latest[msg["data"]["ticker"]] = msg["data"]["price"]

    async with websockets.connect(url, max_queue=1) as stalled, \
            websockets.connect(url) as reader:
        for ws in (stalled, reader):
            await ws.send(json.dumps({"action": "subscribe", "tickers": tickers}))
        await recv_until(reader, "snapshot")
        hub = container.port(QuoteHub)
        await eventually(lambda: len(hub.by_ticker.get("NVDA", ())) >= 2,
                         message="both clients subscribed to NVDA")
        reading = asyncio.create_task(read_all(reader))
        last = 1999
        for i in range(last + 1):
            await push_quotes(container, [{"ticker": t, "price": i, "pad": padding}
                                          for t in tickers])
            await asyncio.sleep(0)
        # The reader gets the newest price of every ticker promptly despite the stalled client.
        await eventually(lambda: all(latest.get(t) == last for t in tickers), timeout=5,
                         message="the reader got every ticker's newest price")
        pending = max(c.pending() for c in hub.clients)
        assert pending <= len(tickers) + 32  # one slot per ticker plus the control frames
        assert container.metrics.ws_dropped.labels("quotes")._value.get() > 0
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading


async def test_a_binary_frame_gets_an_error_frame_and_the_connection_lives(server):
    _, url = server
    async with websockets.connect(url) as ws:
        for frame in (b'{"action": "ping"}', b"\x00\xff\x10"):
            await ws.send(frame)  # bytes: a binary frame
            err = (await recv_until(ws, "error"))["error"]
            assert err["status"] == 422 and "binary" in err["detail"]
        await ws.send(json.dumps({"action": "ping"}))
        assert (await recv_until(ws, "pong"))["type"] == "pong"
async def test_heartbeats_keep_coming_while_quotes_flow(server):
    """The README's promise: a heartbeat every `heartbeat_seconds`, not only in a quiet
    stream. Quotes are pushed far more often than the heartbeat period the whole time."""
    container, url = server
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"action": "subscribe", "tickers": ["NVDA"]}))
        await recv_until(ws, "snapshot")
        stop = asyncio.Event()

        async def keep_pushing() -> None:
            price = 1.0
            while not stop.is_set():
                price += 0.01
                await push_quotes(container, [{"ticker": "NVDA", "price": price}])
                await asyncio.sleep(0.02)

        pusher = asyncio.create_task(keep_pushing())
        try:
            kinds: list[str] = []
            # Two heartbeat periods hold about 30 quote frames; 1,000 without two heartbeats
            # means heartbeats stop while quotes flow.
            while kinds.count("heartbeat") < 2 and len(kinds) < 1000:
                kinds.append(json.loads(await asyncio.wait_for(ws.recv(), 10))["type"])
            assert kinds.count("heartbeat") == 2, kinds[-20:]
        finally:
            stop.set()
            await pusher
        first = kinds.index("heartbeat")
        assert "quote" in kinds[first + 1:], kinds  # quotes flowed between the two heartbeats
