"""A StockFlow app with a controller key, for the admin API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from stockflow.bootstrap import Container, bootstrap
from tests.conftest import MARKET_TIME, make_settings, started_client

API_KEY = "test-admin-key-0123456789"
ADMIN = {"X-API-Key": API_KEY}


@asynccontextmanager
async def admin_app(tmp_path, clock=None, **overrides) -> AsyncIterator[
        tuple[Container, httpx.AsyncClient]]:
    from stockflow.testing.fakes import FakeClock

    settings = make_settings(tmp_path, control={"api_key": API_KEY, **overrides.pop("control", {})},
                             simulator={"backfill_on_start": False}, **overrides)
    container = bootstrap(settings, clock=clock or FakeClock(MARKET_TIME))
    async with started_client(container) as client:
        yield container, client
