"""Fixtures of the account suites (users_support.py holds their helpers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from stockflow.bootstrap import Container, bootstrap
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import MARKET_TIME, backfilled_client, make_settings
from tests.e2e.users_support import ADMIN_KEY, AUTH


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def users_app(tmp_path_factory,
                    ) -> AsyncIterator[tuple[Container, httpx.AsyncClient, EventCapture]]:
    """One app with accounts on and a year of history, shared by the account suites; each test
    signs up its own users, so tests never see each other's data."""
    tmp = tmp_path_factory.mktemp("users")
    container = bootstrap(make_settings(tmp, auth=AUTH, control={"api_key": ADMIN_KEY}),
                          clock=FakeClock(MARKET_TIME))
    events = EventCapture()
    for topic in ("user.registered", "watchlist.updated"):
        container.bus.subscribe(topic, "test-capture", events)
    async with backfilled_client(container) as client:
        yield container, client, events
