"""A route the HTTP edge answers before FastAPI (see entrypoints/fastpath.py), declared by the
context that owns it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

# (the published ports, path parameter or "", raw query string) -> the 200 body, or None:
# "FastAPI answers".
FastAnswer = Callable[[Any, str, bytes], Awaitable[bytes | None]]


@dataclass(frozen=True, slots=True)
class FastRoute:
    path: str  # the FastAPI template; at most one parameter, as the last segment
    answer: FastAnswer
    # Whether the fast path may answer this request (e.g. only for real-time callers);
    # the rest go on to the FastAPI route.
    admits: Callable[[Any], bool] | None = None
