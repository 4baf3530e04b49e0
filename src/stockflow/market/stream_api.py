"""WS /v1/stream/quotes: subscribe, snapshot, live quotes, heartbeats (SPEC "Streams")."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from stockflow.core.permissions import READ_STREAMS, Guard
from stockflow.core.principal import Principal, TokenWatch, principal_of
from stockflow.core.problems import Problem, invalid
from stockflow.market.service import MAX_BATCH, MarketDataService
from stockflow.market.streaming import ClientQueue, QuoteHub

router = APIRouter(tags=["market"])
GUARDS = [Guard("/v1/stream/quotes", READ_STREAMS)]
MAX_SUBSCRIPTIONS = 500
POLICY_VIOLATION = 1008


@router.websocket("/v1/stream/quotes")
async def stream_quotes(ws: WebSocket) -> None:
    ports = ws.app.state.ports
    hub, market = ports.get(QuoteHub), ports.get(MarketDataService)
    heartbeat = hub.heartbeat
    await ws.accept()
    client = hub.connect()
    sender = asyncio.create_task(_pump(ws, client, heartbeat))
    principal, watch = principal_of(ws), ports.find(TokenWatch)
    # A signed-in stream lives as long as its token: closed when it expires or is revoked.
    guard = (asyncio.create_task(_close_when_invalid(ws, watch, principal, sender))
             if watch is not None and principal is not None and not principal.anonymous
             else None)
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            try:
                if text is None:  # a binary frame: refused, and the connection lives on
                    raise invalid("binary frames are not accepted; send JSON in a text frame")
                await _handle(text, client, hub, market)
            except Problem as problem:
                client.offer_control(_error(problem))
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client left, or the guard closed the socket under the receive
    finally:
        hub.disconnect(client)
        for task in (sender, guard):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


async def _close_when_invalid(ws: WebSocket, watch: TokenWatch, principal: Principal,
                              sender: asyncio.Task[None]) -> None:
    reason = await watch.until_invalid(principal)
    sender.cancel()  # no frame may follow the close
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await sender
    with contextlib.suppress(Exception):
        # 1008 (policy violation); a close reason is at most 123 bytes.
        await ws.close(code=POLICY_VIOLATION, reason=reason[:123])


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
    while True:
        if not await client.wait(heartbeat):
            await ws.send_text(orjson.dumps({"type": "heartbeat", "ts": time.time()}).decode())
            continue
        for frame in client.take():
            await ws.send_text(frame)


def _error(problem: Problem) -> str:
    return orjson.dumps({"type": "error",
                         "error": problem.to_dict(instance="/v1/stream/quotes")}).decode()
