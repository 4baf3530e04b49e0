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

from stockflow.core.problems import Problem, invalid
from stockflow.core.streaming import ClientQueue, StreamHub

OnMessage = Callable[[dict[str, Any], ClientQueue], Awaitable[None]]


POLICY_VIOLATION = 1008


async def serve(ws: WebSocket, hub: StreamHub, path: str, on_message: OnMessage, *,
                refuse: str | None = None) -> None:
    """Accept, then run the session; with `refuse`, close at once with 1008 and that reason."""
    await ws.accept()
    if refuse is not None:
        await ws.close(POLICY_VIOLATION, refuse)
        return
    client = hub.connect()
    sender = asyncio.create_task(_pump(ws, client, hub.heartbeat))
    try:
        while True:
            text = await ws.receive_text()
            try:
                msg = _parse(text)
                if msg.get("action") == "ping":
                    client.offer_control(frame({"type": "pong", "ts": time.time()}))
                else:
                    await on_message(msg, client)
            except Problem as problem:
                client.offer_control(frame({"type": "error",
                                            "error": problem.to_dict(instance=path)}))
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(client)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


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
    while True:
        if not await client.wait(heartbeat):
            await ws.send_text(frame({"type": "heartbeat", "ts": time.time()}))
            continue
        for text in client.take():
            await ws.send_text(text)
