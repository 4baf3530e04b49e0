"""One WebSocket stream session (SPEC "Streams"), shared by every stream route: accept, read
client messages, send queued frames and heartbeats, answer a bad message with an error frame
and keep the connection open. The route supplies what a message means (`on_message`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from stockflow.core.principal import Principal, TokenWatch, principal_of
from stockflow.core.problems import Problem, invalid
from stockflow.core.streaming import ClientQueue, StreamHub

OnMessage = Callable[[dict[str, Any], ClientQueue], Awaitable[None]]


POLICY_VIOLATION = 1008


async def serve(ws: WebSocket, hub: StreamHub, path: str, on_message: OnMessage, *,
                refuse: str | None = None, watch: TokenWatch | None = None) -> None:
    """Accept, then run the session until the client leaves. With `refuse`, close at once with
    1008 and that reason. With `watch`, a signed-in session lives only as long as its token:
    it is closed with 1008 when the token expires or is revoked."""
    await ws.accept()
    if refuse is not None:
        await ws.close(POLICY_VIOLATION, refuse)
        return
    client = hub.connect()
    sender = asyncio.create_task(_pump(ws, client, hub.heartbeat))
    principal = principal_of(ws)
    guard = (asyncio.create_task(_close_when_invalid(ws, watch, principal, sender))
             if watch is not None and principal is not None and not principal.anonymous
             else None)
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            try:
                await _dispatch(message.get("text"), client, on_message)
            except Problem as problem:
                client.offer_control(frame({"type": "error",
                                            "error": problem.to_dict(instance=path)}))
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client left, or the guard closed the socket under the receive
    finally:
        hub.disconnect(client)
        for task in (sender, guard):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


async def _dispatch(text: str | None, client: ClientQueue, on_message: OnMessage) -> None:
    if text is None:  # a binary frame: refused, and the connection lives on
        raise invalid("binary frames are not accepted; send JSON in a text frame")
    msg = _parse(text)
    if msg.get("action") == "ping":
        client.offer_control(frame({"type": "pong", "ts": time.time()}))
    else:
        await on_message(msg, client)


async def _close_when_invalid(ws: WebSocket, watch: TokenWatch, principal: Principal,
                              sender: asyncio.Task[None]) -> None:
    reason = await watch.until_invalid(principal)
    sender.cancel()  # no frame may follow the close
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await sender
    with contextlib.suppress(Exception):
        await ws.close(code=POLICY_VIOLATION, reason=reason[:123])  # at most 123 bytes


def frame(value: Any) -> str:
    return orjson.dumps(value).decode()


def _parse(text: str) -> dict[str, Any]:
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise invalid("message is not JSON") from None
    if not isinstance(msg, dict):
        raise invalid("message must be a JSON object")
    return msg


def string_list(msg: dict[str, Any], field: str, *, required: bool = True) -> list[str]:
    """A message field that must be a list of strings (non-empty when required)."""
    raw = msg.get(field)
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or (required and not raw) or not all(
            isinstance(t, str) for t in raw):
        raise invalid(f"{field} must be a non-empty list of strings")
    return raw


async def _pump(ws: WebSocket, client: ClientQueue, heartbeat: float) -> None:
    # A heartbeat every `heartbeat` seconds whether frames flow or not, as the README says: a
    # client keeps one timer, and a busy stream still proves the server's clock moves.
    loop = asyncio.get_running_loop()
    due = loop.time() + heartbeat
    while True:
        await client.wait(max(0.0, due - loop.time()))
        now = loop.time()
        if now >= due:
            await ws.send_text(frame({"type": "heartbeat", "ts": time.time()}))
            due = max(due + heartbeat, now)  # a late beat does not make a burst of them
        for text in client.take():
            await ws.send_text(text)
