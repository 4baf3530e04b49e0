"""Every error leaves as application/problem+json (RFC 9457); a traceback never does."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from stockflow.core.logging import get_logger
from stockflow.core.problems import (
    PROBLEM_CONTENT_TYPE,
    TYPE_BASE,
    Problem,
    problem_http,
    unavailable,
)

log = get_logger(__name__)


def problem_response(problem: Problem, request: Request) -> Response:
    # The body the pure-ASGI layers send too (core/problems.problem_http).
    _, body = problem_http(problem, request.url.path)
    return Response(body, status_code=problem.status, media_type=PROBLEM_CONTENT_TYPE,
                    headers=problem.headers)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_clean(e) for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
    problem = Problem(422, "Unprocessable Content", detail, type_=TYPE_BASE + "validation",
                      errors=errors)
    return problem_response(problem, request)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "HTTP Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        redirect = _slash_redirect(request)
        if redirect is not None:
            return redirect
        detail = f"no route for {request.method} {request.url.path}"
    problem = Problem(exc.status_code, title, detail, headers=dict(exc.headers or {}))
    return problem_response(problem, request)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", path=request.url.path, error=repr(exc))
    problem = Problem(500, "Internal Server Error",
                      "an unexpected error occurred; it has been logged",
                      type_=TYPE_BASE + "internal")
    return problem_response(problem, request)


async def _on_database(request: Request, exc: Exception) -> Response:
    """A database that is busy or unreachable is the platform's trouble, not a bug in the
    request: SQLite past its busy wait ("database is locked") or a PostgreSQL connection lost
    answers 503 with Retry-After, so clients retry instead of reporting a crash. Any other
    database error is a bug and stays a 500."""
    assert isinstance(exc, DBAPIError)
    if not _transient(exc):
        return await _on_unexpected(request, exc)
    log.warning("database unavailable", path=request.url.path, error=str(exc.orig)[:200])
    return problem_response(unavailable("the database is busy or unreachable; retry shortly",
                                        retry_after=1), request)


# SQLite's busy and locked states, and what drivers say when the server connection is gone.
_TRANSIENT = ("database is locked", "database is busy", "database table is locked",
              "connection was closed", "connection is closed", "terminating connection",
              "could not connect", "connection refused", "server closed the connection")


def _transient(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    return any(t in text for t in _TRANSIENT)


def _slash_redirect(request: Request) -> Response | None:
    """/v1/quotes/ -> /v1/quotes (and back) when only the other form has a route, as Starlette
    would, but with a relative Location: an absolute one would be built from the Host header,
    which the client writes (`Host: evil.example` sent callers to evil.example)."""
    path = request.scope["path"]
    if path == "/":
        return None
    other = path.rstrip("/") if path.endswith("/") else path + "/"
    scope = {**request.scope, "path": other}
    if not any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
        return None
    query = request.scope.get("query_string", b"").decode("latin-1")
    # "//evil.example" would be a network-path reference: a path starts with one slash.
    location = "/" + other.lstrip("/") + (f"?{query}" if query else "")
    return Response(status_code=307, headers={"location": quote(location, safe="/?&=%:+,;@")})


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    # pydantic puts exception objects in ctx; keep the JSON-safe parts only.
    return {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")),
            "type": str(error.get("type", ""))}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(DBAPIError, _on_database)
    app.add_exception_handler(Exception, _on_unexpected)
