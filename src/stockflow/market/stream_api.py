"""WS /v1/stream/quotes: subscribe, snapshot, live quotes, heartbeats (SPEC "Streams")."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from stockflow.core.permissions import READ_STREAMS, Guard
from stockflow.core.problems import Problem, invalid
from stockflow.market.service import MAX_BATCH, MarketDataService
from stockflow.market.streaming import ClientQueue, QuoteHub

router = APIRouter(tags=["market"])
GUARDS = [Guard("/v1/stream/quotes", READ_STREAMS)]
MAX_SUBSCRIPTIONS = 500


@router.websocket("/v1/stream/quotes")
async def stream_quotes(ws: WebSocket) -> None:
    ports = ws.app.state.ports
    hub, market = ports.get(QuoteHub), ports.get(MarketDataService)
    heartbeat = hub.heartbeat
    await ws.accept()
    client = hub.connect()
    sender = asyncio.create_task(_pump(ws, client, heartbeat))
    try:
        while True:
            text = await ws.receive_text()
            try:
                await _handle(text, client, hub, market)
            except Problem as problem:
                client.offer_control(_error(problem))
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(client)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def _handle(text: str, client: ClientQueue, hub: Any, market: Any) -> None:
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise invalid("message is not JSON") from None
    if not isinstance(msg, dict):
        raise invalid("message must be a JSON object")
    action = msg.get("action")
    if action == "ping":
        client.offer_control(orjson.dumps({"type": "pong", "ts": time.time()}).decode())
        return
    if action not in ("subscribe", "unsubscribe"):
        raise invalid("action must be subscribe, unsubscribe or ping")
    raw = msg.get("tickers")
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        raise invalid("tickers must be a non-empty list of strings")
    tickers = list(dict.fromkeys(market.instrument(t).ticker for t in raw))  # 404 if unknown
    if action == "unsubscribe":
        hub.unsubscribe(client, tickers)
        client.offer_control(orjson.dumps({"type": "unsubscribed", "tickers": tickers}).decode())
        return
    if len(client.tickers | set(tickers)) > MAX_SUBSCRIPTIONS:
        raise invalid(f"at most {MAX_SUBSCRIPTIONS} tickers per connection")
    hub.subscribe(client, tickers)
    for i in range(0, len(tickers), MAX_BATCH):
        data, meta = await market.quotes_json(",".join(tickers[i:i + MAX_BATCH]))
        stale = ',"meta":' + orjson.dumps(meta).decode() if meta else ""  # last-known quotes
        client.offer_control('{"type":"snapshot","data":' + data.decode() + stale + "}")


async def _pump(ws: WebSocket, client: ClientQueue, heartbeat: float) -> None:
    # A heartbeat every `heartbeat` seconds whether quotes flow or not, as the README says: a
    # client keeps one timer, and a busy stream still proves the server's clock moves.
    loop = asyncio.get_running_loop()
    due = loop.time() + heartbeat
    while True:
        await client.wait(max(0.0, due - loop.time()))
        now = loop.time()
        if now >= due:
            await ws.send_text(orjson.dumps({"type": "heartbeat", "ts": time.time()}).decode())
            due = max(due + heartbeat, now)  # a late beat does not make a burst of them
        for frame in client.take():
            await ws.send_text(frame)


def _error(problem: Problem) -> str:
    return orjson.dumps({"type": "error",
                         "error": problem.to_dict(instance="/v1/stream/quotes")}).decode()
