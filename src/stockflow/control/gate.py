"""The maintenance gate: a pure-ASGI layer of the edge that refuses public traffic in maintenance.

It sits in the edge stack, before the quote fast path and FastAPI, so every public route is
covered, and inside the edge middleware, so refusals still get request ids, metrics and access
lines. Operations routes stay open. WebSockets are refused with a close frame carrying the
reason, and open ones are closed the same way when maintenance starts, whatever their route.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockflow.control.domain import MAINTENANCE_DETAIL
from stockflow.core.problems import Problem, send_problem, unavailable

OPEN_PATHS = frozenset({"/health", "/ready", "/metrics", "/api/health", "/docs", "/redoc",
                        "/docs/oauth2-redirect", "/openapi.json", "/api/admin"})
OPEN_PREFIXES = ("/api/admin/",)
# 1013 "Try Again Later": the server is up but not serving this now (RFC 6455 registry).
WS_CLOSE_CODE = 1013


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class MaintenanceFlag:
    """The local switch every request reads, and the gated WebSockets to close when it turns on."""

    def __init__(self) -> None:
        self.enabled = False
        self.sockets: set[GatedSocket] = set()

    def set(self, enabled: bool) -> None:
        turned_on = enabled and not self.enabled
        self.enabled = enabled
        if turned_on:
            for socket in list(self.sockets):
                socket.closing.set()


class MaintenanceGate:
    def __init__(self, app: ASGIApp, flag: MaintenanceFlag, retry_after: int) -> None:
        self.app = app
        self.flag = flag
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            problem = self.admit(scope)
            if problem is not None:
                await send_problem(send, problem, scope["path"])
                return
            await self.app(scope, receive, send)
        elif kind == "websocket" and not is_open(scope["path"]):
            if self.flag.enabled:
                await _close_new(receive, send)
                return
            socket = GatedSocket(receive, send)
            self.flag.sockets.add(socket)
            try:
                await self.app(scope, socket.receive, socket.send)
            finally:
                self.flag.sockets.discard(socket)
                socket.discard()
        else:
            await self.app(scope, receive, send)

    def admit(self, scope: Scope) -> Problem | None:
        """The gate's decision on an HTTP request: None to serve it, else the 503 to answer.
        The edge's fused path for the fast routes (entrypoints/fused.py) calls this too."""
        if self.flag.enabled and not is_open(scope["path"]):
            return unavailable(MAINTENANCE_DETAIL, retry_after=self.retry_after)
        return None


async def _close_new(receive: Receive, send: Send) -> None:
    # Accept, then close: a close before accept is an HTTP 403 on the handshake and the client
    # never sees the reason.
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": WS_CLOSE_CODE, "reason": MAINTENANCE_DETAIL})


class GatedSocket:
    """Wraps one WebSocket's receive/send so the gate can close it from outside.

    The application waits in `receive`; when `closing` is set, that wait ends: the close frame is
    sent and the application gets the disconnect message, as if the client had left. Frames the
    application sends afterwards are dropped.
    """

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self.closing = asyncio.Event()
        self.accepted = False
        self.closed = False
        self._pending: asyncio.Future[Message] | None = None

    async def send(self, message: Message) -> None:
        if self.closed:
            return
        if message["type"] == "websocket.accept":
            self.accepted = True
        elif message["type"] == "websocket.close":
            self.closed = True
        await self._send(message)

    async def receive(self) -> Message:
        if not self.closed and not self.closing.is_set():
            if self._pending is None:
                self._pending = asyncio.ensure_future(self._receive())
            stop = asyncio.ensure_future(self.closing.wait())
            try:
                await asyncio.wait((self._pending, stop), return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
            if self._pending.done():
                pending, self._pending = self._pending, None
                return pending.result()
        await self._close()
        return {"type": "websocket.disconnect", "code": WS_CLOSE_CODE,
                "reason": MAINTENANCE_DETAIL}

    async def _close(self) -> None:
        if not self.closed and self.accepted:
            self.closed = True
            with contextlib.suppress(Exception):  # the client may be gone already
                await self._send({"type": "websocket.close", "code": WS_CLOSE_CODE,
                                  "reason": MAINTENANCE_DETAIL})
        self.closed = True
        self.discard()

    def discard(self) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
        self._pending = None
