"""Shared fixtures: a StockFlow built through the real composition root on a temp SQLite file."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
import uvicorn

from stockflow.bootstrap import Container, bootstrap
from stockflow.core.lifecycle import settle_tasks
from stockflow.entrypoints.http import create_app
from stockflow.market.tasks import InitialBackfill
from stockflow.settings import Settings
from stockflow.testing.eventually import NotInTime, eventually
from stockflow.testing.fakes import FakeClock

# A Friday afternoon in New York: NYSE/NASDAQ open, NSE closed, crypto trading.
MARKET_TIME = datetime(2025, 11, 21, 15, 30, tzinfo=UTC)


# Deadlines of the waits in fixtures: far above what a healthy run takes, so that only a hang
# trips them, and then with a message naming what hung rather than a silent stall.
STARTUP_TIMEOUT = 30.0
BACKFILL_TIMEOUT = 120.0
SHUTDOWN_TIMEOUT = 30.0

OPEN_ACCESS = {"anonymous_tier": "enterprise", "anonymous_rate_limit": "1000000/minute"}


def make_settings(tmp_path, **overrides) -> Settings:
    base = {
        "data_dir": tmp_path,
        "simulator": {"seed": 7, "backfill_years": 1, "backfill_minute_days": 2},
        "services": {"live_quotes": False},
        "log": {"level": "WARNING"},
        # The market suites predate accounts: they call as an anonymous caller with real-time
        # access and no practical limit. The auth suites set their own policy.
        "auth": OPEN_ACCESS,
    }
    base.update(overrides)
    return Settings(**base)


PROBLEM = "application/problem+json"


def assert_problem(resp: httpx.Response, status: int) -> dict:
    """An RFC 9457 answer with `status`, naming the request path, without a traceback."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert body["instance"] == resp.request.url.path
    assert "Traceback" not in resp.text
    return body


@asynccontextmanager
async def started_client(container: Container, *,
                         backfill: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """Start the container (and with `backfill`, wait for its history), talk to its app
    in-process, stop it afterwards; every wait has a deadline."""
    app = create_app(container, manage_lifecycle=False)
    async with asyncio.timeout(STARTUP_TIMEOUT):
        await container.start()
    try:
        if backfill:
            assert container.port(InitialBackfill) is not None
            try:
                async with asyncio.timeout(BACKFILL_TIMEOUT):
                    await container.port(InitialBackfill).done.wait()
            except TimeoutError:
                raise AssertionError(
                    f"initial backfill not done within {BACKFILL_TIMEOUT:g} s") from None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        async with asyncio.timeout(SHUTDOWN_TIMEOUT):
            await container.stop()


def backfilled_client(container: Container) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """Start the container, wait for its history, and talk to its app in-process."""
    return started_client(container, backfill=True)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def market_app(tmp_path_factory) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    """One app for the API suite: backfilled once, shared read-only by the tests."""
    tmp = tmp_path_factory.mktemp("api")
    container = bootstrap(make_settings(tmp), clock=FakeClock(MARKET_TIME))
    async with backfilled_client(container) as client:
        yield container, client


@pytest.fixture
def anyio_backend():
    return "asyncio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def serving(container: Container, **options) -> AsyncIterator[str]:
    """The container's app on a real uvicorn server (in this loop) for WebSocket clients;
    yields the quote stream's URL. The app's lifespan starts and stops the container.
    `options` are more uvicorn options (the CLI's, for tests of how it serves)."""
    port = free_port()
    options = {"log_config": None, **options, "lifespan": "on"}
    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port,
                                           **options))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), timeout=STARTUP_TIMEOUT,
                         message="uvicorn started")
    except NotInTime:
        task.cancel()
        raise
    if not server.started:  # serve() ended early: surface its error rather than wait on
        await task
        raise AssertionError("uvicorn stopped before it started")
    try:
        yield f"ws://127.0.0.1:{port}/v1/stream/quotes"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, SHUTDOWN_TIMEOUT)


# -- running on two workers (`make test`: pytest-xdist, --dist loadfile) ------------------------
# The crash suites kill and restart worker processes against real brokers for minutes. Two of
# them at once on two cores starve each other (and their kill timing); they go to one worker,
# one after the other, and first, so that they are not the tail of the run.


def _crash_suite(nodeid: str) -> bool:
    path = nodeid.split("::", 1)[0]
    return path.startswith("tests/integration/") and path.endswith("_crash.py")


def pytest_collection_modifyitems(config, items) -> None:
    items.sort(key=lambda item: not _crash_suite(item.nodeid))  # stable: the rest keep order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class CrashSuitesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "crash-suites" if _crash_suite(nodeid) else super()._split_scope(nodeid)

    return CrashSuitesTogether(config, log)


# -- event loops that end --------------------------------------------------------------------
# pytest-asyncio closes each test's loop with asyncio's own `_cancel_all_tasks`, which cancels a
# leftover task once and then waits for ever. A task cancelled during a SQLite query leaves a
# shielded close of its connection that one cancel does not end (core.lifecycle.run_settled
# explains it), and a test's teardown then hung until the 120 s timeout. The loops of the tests
# end as `stockflow up` ends its own: leftovers are cancelled until they stop.


def _cancel_all_tasks_until_they_stop(loop: asyncio.AbstractEventLoop) -> None:
    loop.run_until_complete(settle_tasks())


asyncio.runners._cancel_all_tasks = _cancel_all_tasks_until_they_stop
