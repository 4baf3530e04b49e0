"""The edge in one call for the fast routes: request id, request limits, every edge layer's
decision, the fast answer, its headers, metrics and the access line, without the layers' ASGI
hops.

Measured over HTTP, each layer between the server and a quote (edge middleware, request limits,
CORS, maintenance gate, auth edge, fast path) cost more than its own work: an await, a closure
for `send`, a wrapped message. Here each layer contributes only its decision, through its
`admit(scope)`, the same method its own `__call__` decides with, so the two paths cannot drift
apart (tests/e2e/test_fused_edge.py sends one request set through both and compares them).

A request takes the fused path only when nothing it carries needs more than that: a GET on a
fast route's path, no body, no Origin header while CORS is on, within the request limits.
Everything else goes to the layered stack untouched. After the layers have admitted it, a
request the fast route does not answer (a delayed-tier caller, input for FastAPI's 422, an
unexpected error) goes on to FastAPI as the fast path would send it.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockflow.core.envelope import JSON_CONTENT_TYPE
from stockflow.core.problems import Problem, problem_http
from stockflow.core.web import RESPONSE_HEADERS
from stockflow.entrypoints.fastpath import FastPath
from stockflow.entrypoints.limits import head
from stockflow.entrypoints.middleware import EdgeMiddleware, new_request_id

_CONTENT_TYPE = (b"content-type", JSON_CONTENT_TYPE.encode())
# One admit per edge layer, in the order the layers see a request: None (go on) or a problem.
Admit = Callable[[Scope], Any]


class FusedEdge:
    """`app` is the layered stack (the edge middleware outermost), which serves every request
    the fused path does not; `fast` is the stack's own fast path, whose routes and fallback
    (`fast.app`, FastAPI) are used as they are; `admits` are the edge layers' decisions, in
    request order."""

    def __init__(self, app: EdgeMiddleware, fast: FastPath, admits: Sequence[Admit], *,
                 cors: bool) -> None:
        self.app = app
        self.fast = fast
        self.cors = cors
        self.admits = [(admit, inspect.iscoroutinefunction(admit)) for admit in admits]
        self.observe = app.observe
        self.access = app.access
        self.limits = app.limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        match = self.fast.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request = head(scope)
        if request.length or request.chunked or (self.cors and request.origin) or (
                self.limits is not None and self.limits.head_problem(scope, request)):
            # A body, a cross-origin caller or a refusal: the layered stack's business.
            await self.app(scope, receive, send)
            return
        request_id = request.request_id or new_request_id()
        extra = scope[RESPONSE_HEADERS] = [(b"x-request-id", request_id.encode())]
        status = [500]  # as sent; 500 if an error ends the request before its answer
        try:
            for admit, is_async in self.admits:
                problem = await admit(scope) if is_async else admit(scope)
                if problem is not None:
                    await _send_problem(send, problem, scope["path"], extra, status)
                    return
            await self._answer(match, scope, receive, send, extra, status)
        finally:
            duration = time.perf_counter() - start
            path = getattr(scope.get("route"), "path", None) or "unmatched"
            self.observe("GET", path, status[0], duration)
            if self.access is not None:
                self.access(request_id, "GET", path, scope["path"], status[0], duration)

    async def _answer(self, match: Any, scope: Scope, receive: Receive, send: Send,
                      extra: list[tuple[bytes, bytes]], status: list[int]) -> None:
        """What the fast path answers (FastPath.__call__), with the edge's headers added."""
        route, api_route, param = match
        if route.admits is None or route.admits(scope):
            try:
                body = await route.answer(self.fast.context, param, scope["query_string"])
            except Problem as problem:
                scope["route"] = api_route
                await _send_problem(send, problem, scope["path"], extra, status)
                return
            except Exception:  # noqa: BLE001 - any failure is FastAPI's to render
                body = None
            if body is not None:
                scope["route"] = api_route
                status[0] = 200
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-length", str(len(body)).encode()), _CONTENT_TYPE, *extra]})
                await send({"type": "http.response.body", "body": body})
                return
        await _forward(self.fast.app, scope, receive, send, extra, status)


async def _send_problem(send: Send, problem: Problem, path: str,
                        extra: list[tuple[bytes, bytes]], status: list[int]) -> None:
    headers, body = problem_http(problem, path)
    status[0] = problem.status
    await send({"type": "http.response.start", "status": problem.status,
                "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})


async def _forward(app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                   extra: list[tuple[bytes, bytes]], status: list[int]) -> None:
    """Run `app` with the edge's headers added to its answer, its status noted in `status`
    as it is sent (so an error raised after the answer started counts with that status, as
    the edge middleware counts it)."""

    async def send_wrapper(message: Message) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
            message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)

    await app(scope, receive, send_wrapper)
