"""RFC 9457 problem details: the one error shape every route and stream uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://stockflow.dev/problems/"


class Problem(Exception):
    """Raise from any layer; the HTTP edge turns it into application/problem+json."""

    def __init__(self, status: int, title: str, detail: str = "", *, type_: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ or TYPE_BASE + title.lower().replace(" ", "-")
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance is not None:
            body["instance"] = instance
        body.update(self.extra)
        return body


def not_found(what: str, ident: str) -> Problem:
    return Problem(404, "Not Found", f"{what} {ident!r} is not known", type_=TYPE_BASE + "not-found")


def invalid(detail: str, errors: list[dict[str, Any]] | None = None) -> Problem:
    extra = {"errors": errors} if errors else {}
    return Problem(422, "Unprocessable Content", detail, type_=TYPE_BASE + "validation", **extra)


def unavailable(detail: str, retry_after: int | None = None) -> Problem:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return Problem(503, "Service Unavailable", detail, type_=TYPE_BASE + "unavailable",
                   headers=headers)


def unauthorized(detail: str, *, error: str = "invalid_token") -> Problem:
    # RFC 6750 §3: a Bearer challenge; "invalid_token" tells clients to sign in or refresh.
    challenge = f'Bearer realm="stockflow", error="{error}"' if error else 'Bearer realm="stockflow"'
    return Problem(401, "Unauthorized", detail, type_=TYPE_BASE + "unauthorized",
                   headers={"WWW-Authenticate": challenge})


def forbidden(detail: str) -> Problem:
    return Problem(403, "Forbidden", detail, type_=TYPE_BASE + "forbidden")


def conflict(detail: str) -> Problem:
    return Problem(409, "Conflict", detail, type_=TYPE_BASE + "conflict")


def too_many_requests(detail: str, retry_after: int, headers: dict[str, str] | None = None,
                      ) -> Problem:
    return Problem(429, "Too Many Requests", detail, type_=TYPE_BASE + "rate-limit-exceeded",
                   headers={"Retry-After": str(retry_after), **(headers or {})},
                   retry_after=retry_after)


def problem_http(problem: Problem, path: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The ASGI headers and body of a problem answer: what every pure-ASGI layer that refuses a
    request (auth edge, maintenance gate, quote fast path) sends, byte for byte as FastAPI's."""
    body = orjson.dumps(problem.to_dict(instance=path))
    headers = [(b"content-type", PROBLEM_CONTENT_TYPE.encode()),
               (b"content-length", str(len(body)).encode()),
               *((k.lower().encode("latin-1"), v.encode("latin-1"))
                 for k, v in problem.headers.items())]
    return headers, body


async def send_problem(send: Callable[[dict[str, Any]], Awaitable[None]], problem: Problem,
                       path: str) -> None:
    headers, body = problem_http(problem, path)
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def refuse(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                 send: Callable[[dict[str, Any]], Awaitable[None]], problem: Problem) -> None:
    """Answer an HTTP request or refuse a WebSocket handshake with `problem`.

    A handshake is refused with a real HTTP answer where the server supports the ASGI
    denial-response extension (uvicorn does); otherwise with a bare close (1008)."""
    if scope["type"] == "http":
        await send_problem(send, problem, scope["path"])
        return
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" in scope.get("extensions", {}):
        headers, body = problem_http(problem, scope["path"])
        await send({"type": "websocket.http.response.start", "status": problem.status,
                    "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})
