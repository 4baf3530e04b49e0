"""The ASGI stack called directly, no sockets: what each request costs the server's own code,
in microseconds of this thread's CPU time (not wall time: on a shared host the process is
descheduled for whole milliseconds), in rounds, so what noise is left shows as spread."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

Scope = dict[str, Any]


def http_scope(path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None,
               client: str = "127.0.0.1") -> Scope:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
            "root_path": "", "headers": [(b"host", b"bench"), *(headers or [])],
            "client": (client, 50000), "server": ("127.0.0.1", 8000)}


async def per_request_us(app: Any, make_scope: Callable[[], Scope], n: int, rounds: int = 5,
                         ) -> list[float]:
    """Microseconds per request, one figure per round of n requests (each checked for 200)."""
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    figures = []
    for _ in range(rounds):
        statuses.clear()
        start = time.thread_time()
        for i in range(n):
            await app(make_scope(), receive, send)
            if i % 32 == 31:
                # A loop iteration, as a server with 32 busy connections has: the access lines
                # of those requests are written now, together, as part of the cost.
                await asyncio.sleep(0)
        await asyncio.sleep(0)
        figures.append((time.thread_time() - start) / n * 1e6)
        if set(statuses) != {200}:
            raise RuntimeError(f"statuses {sorted(set(statuses))} in the in-process run")
    return figures


def summary(figures: list[float]) -> str:
    return (f"median {statistics.median(figures):.1f} µs (min {min(figures):.1f}, "
            f"max {max(figures):.1f}, {len(figures)} rounds)")


def quiet_logs() -> None:
    """Access lines on, written to a sink that drops them, as the bench server's go to
    /dev/null."""
    from stockflow.core.logging import configure_logging

    configure_logging("INFO", json_logs=True, stream=open(os.devnull, "w"))  # noqa: SIM115


@contextlib.asynccontextmanager
async def started_app(**auth: Any) -> AsyncIterator[tuple[Any, Any]]:
    """(container, app) built as the bench server builds them, the pipeline workers and live
    ticks off so that this thread's CPU time is the requests' alone; anonymous callers get
    real-time data under a limit they never reach, as in the bench server."""
    from _harness import UNREACHABLE_LIMIT

    from stockflow.bootstrap import bootstrap
    from stockflow.entrypoints.http import create_app
    from stockflow.settings import Settings

    quiet_logs()
    settings = Settings(data_dir=tempfile.mkdtemp(prefix="stockflow-bench-"),
                        simulator={"backfill_years": 1, "backfill_minute_days": 1},
                        services={"live_quotes": False, "workers": []}, jobs={"enabled": False},
                        auth={"anonymous_tier": "enterprise",
                              "anonymous_rate_limit": UNREACHABLE_LIMIT, **auth})
    container = bootstrap(settings, configure_logs=False)
    app = create_app(container, manage_lifecycle=False)
    await container.start()
    try:
        yield container, app
    finally:
        await container.stop()
