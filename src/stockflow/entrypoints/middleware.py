"""Pure ASGI middleware for the edge: request id, one JSON access line, metrics per route.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every request's hot path.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics

log = get_logger("stockflow.access")


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            duration = time.perf_counter() - start
            route = scope.get("route")
            # The route template keeps label cardinality bounded (not /v1/quotes/NVDA).
            path = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.http_requests.labels(method, path, str(status)).inc()
            self.metrics.http_latency.labels(method, path).observe(duration)
            if self.access_log:
                log.info("request", request_id=request_id, method=method, route=path,
                         path=scope["path"], status=status,
                         duration_ms=round(duration * 1000, 3))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")[:128]
    return None


def client_of(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return client[0] if client else "-"
