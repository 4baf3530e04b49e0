"""How a route reaches its context's service: a FastAPI dependency that reads the port the
context published when it was built (`ContextParts.ports`), so routes stay thin and never see
the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import HTTPConnection

T = TypeVar("T")
# The scope key of the list of headers the edge middleware adds to the response: inner edge
# layers append theirs to it instead of wrapping `send` once more.
RESPONSE_HEADERS = "stockflow.response_headers"


def provide(kind: type[T]) -> Callable[[HTTPConnection], Awaitable[T]]:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a thread hop per request.
    async def dependency(conn: HTTPConnection) -> T:
        return conn.app.state.ports.get(kind)

    dependency.__name__ = f"provide_{kind.__name__}"
    return dependency
