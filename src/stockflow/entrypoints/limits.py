"""Request limits at the edge: header size and count, URL length, body size per route.

Answered as problems (431, 414, 413) before anything else reads the request. uvicorn has parsed
the request by then; what it refuses itself (malformed HTTP, and with h11 an oversized head) it
answers with its own `400 text/plain`, before any application code runs.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockflow.core.problems import TYPE_BASE, Problem, refuse


def too_large(status: int, title: str, detail: str) -> Problem:
    return Problem(status, title, detail, type_=TYPE_BASE + title.lower().replace(" ", "-"))


class Head:
    """What one pass over a request's headers finds (see `head`)."""

    __slots__ = ("chunked", "count", "length", "origin", "request_id", "size")

    def __init__(self, request_id: str | None, count: int, size: int, length: int | None,
                 chunked: bool, origin: bool = False) -> None:
        self.request_id = request_id
        self.count = count
        self.size = size
        self.length = length
        self.chunked = chunked
        self.origin = origin  # an Origin header: CORS has work to do


def head(scope: Scope) -> Head:
    headers = scope.get("headers", ())
    size, length, chunked, request_id, origin = 0, None, False, None, False
    for name, value in headers:
        size += len(name) + len(value)
        if name == b"x-request-id":
            request_id = value.decode("latin-1")[:128]
        elif name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"origin":
            origin = True
    return Head(request_id, len(headers), size, length, chunked, origin)


class RequestLimits:
    """Called by the edge middleware with the request's `Head`: refuses what is too large,
    then runs `app`."""

    def __init__(self, http: Any) -> None:
        self.max_header_bytes = http.max_header_bytes
        self.max_headers = http.max_headers
        self.max_url_bytes = http.max_url_bytes
        self.max_body = http.max_body_bytes
        # Longest prefix first, so /v1/auth/login finds /v1/auth before /v1.
        self.body_limits = sorted(http.body_limits.items(), key=lambda kv: -len(kv[0]))

    def body_limit(self, path: str) -> int:
        for prefix, limit in self.body_limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.max_body

    async def __call__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                       request: Head) -> None:
        problem = self.head_problem(scope, request)
        if problem is None and (request.length or request.chunked):
            limit = self.body_limit(scope["path"])
            if request.length is not None and request.length > limit:
                problem = _body_problem(limit)
            elif request.chunked and request.length is None:
                # No length announced: read the body here, up to the limit, and replay it.
                # (With a Content-Length the server delivers exactly that many bytes.)
                body = await _read_body(receive, limit)
                if body is None:
                    problem = _body_problem(limit)
                else:
                    receive = _replay(body, receive)
        if problem is not None:
            await refuse(scope, receive, send, problem)
            return
        await app(scope, receive, send)

    def head_problem(self, scope: Scope, request: Head) -> Problem | None:
        if request.count > self.max_headers:
            return too_large(431, "Request Header Fields Too Large",
                             f"at most {self.max_headers} header fields are accepted")
        if request.size > self.max_header_bytes:
            return too_large(431, "Request Header Fields Too Large",
                             f"header fields may total at most {self.max_header_bytes} bytes")
        url = len(scope.get("raw_path") or scope["path"]) + len(scope.get("query_string", b""))
        if url > self.max_url_bytes:
            return too_large(414, "URI Too Long",
                             f"the path and query may be at most {self.max_url_bytes} bytes")
        return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks, received = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""  # the client left; the app will see the disconnect
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # after the body: disconnects, as the server reports them
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _body_problem(limit: int) -> Problem:
    return too_large(413, "Content Too Large", f"the body may be at most {limit} bytes here")
