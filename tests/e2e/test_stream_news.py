"""WS /v1/stream/news with a real WebSocket client against a real server: an article published
on the bus goes through the analysis handler and reaches subscribers by ticker or event type."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
import websockets

from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import NEWS_PUBLISHED
from stockflow.news.domain import RawArticle
from stockflow.news.messages import raw_to_data
from stockflow.news.streaming import NewsHub
from stockflow.testing.eventually import eventually
from tests.conftest import make_settings, serving


@pytest.fixture
async def server(tmp_path):
    container = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False},
                                        streams={"heartbeat_seconds": 0.3},
                                        news={"simulated": False},
                                        http={"access_log": False}))
    async with serving(container) as url:
        yield container, url.replace("/v1/stream/quotes", "/v1/stream/news")


async def recv_until(ws, kind: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if msg["type"] == kind:
            return msg


async def publish(container, title: str, body: str, tickers: tuple[str, ...]) -> str:
    raw = RawArticle(source="Wire", url=f"https://wire.test/{uuid.uuid4().hex}", title=title,
                     body=body, published_at=datetime.now(UTC), language="en", tickers=tickers)
    ident = uuid.uuid4().hex[:24]
    await container.platform.bus.publish(NEWS_PUBLISHED.name,
                                         NEWS_PUBLISHED.event(raw_to_data(raw, ident)))
    return raw.url


async def test_subscribers_get_each_article_once_by_ticker_or_event_type(server):
    container, url = server
    async with websockets.connect(url) as ws, websockets.connect(url) as by_event:
        await ws.send(json.dumps({"action": "subscribe", "tickers": ["nvda"],
                                  "event_types": ["earnings"]}))
        assert (await recv_until(ws, "snapshot"))["data"] == []
        await by_event.send(json.dumps({"action": "subscribe", "event_types": ["earnings"]}))
        await recv_until(by_event, "snapshot")
        hub = container.port(NewsHub)
        await eventually(lambda: len(hub.by_key.get("event:earnings", ())) == 2)
        link = await publish(container, "NVIDIA beats estimates and raises guidance",
                             "NVIDIA reported record quarterly revenue.", ("NVDA",))
        analysis = container.platform.registry.running_workers["news"].unit
        await eventually(lambda: analysis.stored == 1, timeout=30, message="article analysed")
        frame = await recv_until(ws, "news")
        assert frame["data"]["url"] == link and frame["data"]["sentiment"]["label"] == "bullish"
        assert "earnings" in {e["type"] for e in frame["data"]["events"]}
        assert (await recv_until(by_event, "news"))["data"]["url"] == link
        await publish(container, "Microsoft opens a new office", "Microsoft said.", ("MSFT",))
        await recv_until(ws, "heartbeat")  # the MSFT article is not for this client ...
        await publish(container, "NVIDIA ships a new chip", "NVIDIA said.", ("NVDA",))
        nxt = await recv_until(ws, "news")
        assert nxt["data"]["title"] == "NVIDIA ships a new chip"  # ... and the NVDA one came once
        await ws.send(json.dumps({"action": "subscribe", "event_types": ["weather"]}))
        error = await recv_until(ws, "error")
        assert error["error"]["status"] == 422 and "weather" in error["error"]["detail"]
        await ws.send(json.dumps({"action": "ping"}))
        assert (await recv_until(ws, "pong"))["type"] == "pong"
        await ws.send(json.dumps({"action": "subscribe", "tickers": ["NVDA"]}))
        snapshot = await recv_until(ws, "snapshot")
        assert [a["title"] for a in snapshot["data"]][:2] == [
            "NVIDIA ships a new chip", "NVIDIA beats estimates and raises guidance"]
