"""Storage adapters under contract: a SQLite file per test and a PostgreSQL schema per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.contexts import modules
from stockflow.market.repository import SqlMarketStore
from stockflow.testing.services import require_service_url

POSTGRES_URL_ENV = "STOCKFLOW_TEST_POSTGRES_URL"
# The contexts' own revision folders, as the container migrates: the stores under contract
# read columns those revisions add.
MIGRATIONS = [m.migrations for m in modules() if m.migrations]


@pytest.fixture
def postgres_url() -> str:
    """URL of the test PostgreSQL; skips when unset, fails when unset on CI (CI=true)."""
    return require_service_url(POSTGRES_URL_ENV, "PostgreSQL")


async def _sqlite(tmp_path) -> AsyncIterator[SqlDatabase]:
    # A nested, not-yet-existing folder also checks that connect() creates it.
    db = SqlDatabase(f"sqlite:///{tmp_path / 'data' / 'stockflow.db'}")
    await db.connect()
    try:
        await db.migrate(MIGRATIONS)
        yield db
    finally:
        await db.close()


async def _postgres(url: str) -> AsyncIterator[SqlDatabase]:
    # Isolation: a fresh schema per test, chosen through search_path; dropped afterwards.
    schema = f"contract_{uuid.uuid4().hex[:16]}"
    db = SqlDatabase(url, schema=schema)
    await db.connect()
    try:
        await db.migrate(MIGRATIONS)
        yield db
    finally:
        await db.close()
        admin = SqlDatabase(url, pool_size=1)
        await admin.connect()
        try:
            async with admin.engine.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await admin.close()


def sql_database(request, tmp_path) -> AsyncIterator[SqlDatabase]:
    """The migrated database of a "sqlite" or "postgresql" fixture parameter, for suites whose
    fixtures add other adapters (e.g. an in-memory one) beside the SQL ones."""
    if request.param == "sqlite":
        return _sqlite(tmp_path)
    return _postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request, tmp_path) -> AsyncIterator[SqlDatabase]:
    async for db in sql_database(request, tmp_path):
        yield db


@pytest.fixture
def store(database: SqlDatabase) -> SqlMarketStore:
    return SqlMarketStore(database)
