"""Pure ASGI middleware for the edge: request id, one JSON access line, metrics per route.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every request's hot path, including the
quote fast path, so each step here is the cheap form of itself.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockflow.core.logging import access_logger
from stockflow.core.metrics import Metrics
from stockflow.core.web import RESPONSE_HEADERS
from stockflow.entrypoints.limits import RequestLimits, head


class EdgeMiddleware:
    """`limits` (entrypoints/limits.py) are checked here, in the one pass over the request's
    headers that finds its request id: a layer of their own cost a tenth of a quote's time."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool = True,
                 limits: RequestLimits | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.observe = metrics.http.observe
        self.limits = limits
        # Chosen once: the logging configuration is fixed by the time the app serves.
        self.access = access_logger() if access_log else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket" and self.limits is not None:
                await self.limits(self.app, scope, receive, send, head(scope))
            else:
                await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request = head(scope)
        request_id = request.request_id or new_request_id()
        # Inner layers add their response headers here (the auth edge its RateLimit pair), so
        # that one wrapper of `send`, this one, serves them all.
        extra = scope[RESPONSE_HEADERS] = [(b"x-request-id", request_id.encode())]
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            if self.limits is None:
                await self.app(scope, receive, send_wrapper)
            else:
                await self.limits(self.app, scope, receive, send_wrapper, request)
        finally:
            duration = time.perf_counter() - start
            # The route template keeps label cardinality bounded (not /v1/quotes/NVDA).
            path = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.observe(method, path, status, duration)
            if self.access is not None:
                self.access(request_id, method, path, scope["path"], status, duration)


class _RequestIds:
    """32 hex characters, like uuid4().hex, for a tenth of the cost: a random prefix per process
    and a counter. uuid4 reads the OS random source on every call; ids need to be unique, not
    secret. Re-seeded after fork so that forked workers never hand out the same ids."""

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


new_request_id = _RequestIds()


def client_of(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return client[0] if client else "-"
