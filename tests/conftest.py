"""Shared fixtures: a StockFlow built through the real composition root on a temp SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio

from stockflow.bootstrap import Container, bootstrap
from stockflow.entrypoints.http import create_app
from stockflow.settings import Settings
from stockflow.testing.fakes import FakeClock

# A Friday afternoon in New York: NYSE/NASDAQ open, NSE closed, crypto trading.
MARKET_TIME = datetime(2025, 11, 21, 15, 30, tzinfo=UTC)


def make_settings(tmp_path, **overrides) -> Settings:
    base = {
        "data_dir": tmp_path,
        "simulator": {"seed": 7, "backfill_years": 1, "backfill_minute_days": 2},
        "services": {"live_quotes": False},
        "log": {"level": "WARNING"},
    }
    base.update(overrides)
    return Settings(**base)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def market_app(tmp_path_factory) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    """One app for the API suite: backfilled once, shared read-only by the tests."""
    tmp = tmp_path_factory.mktemp("api")
    container = bootstrap(make_settings(tmp), clock=FakeClock(MARKET_TIME))
    app = create_app(container, manage_lifecycle=False)
    await container.start()
    assert container.initial_backfill is not None
    await container.initial_backfill.done.wait()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield container, client
    await container.stop()


@pytest.fixture
def anyio_backend():
    return "asyncio"
