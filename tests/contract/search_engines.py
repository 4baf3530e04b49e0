"""The search engines the contract suites run on: SQLite FTS5, PostgreSQL (a fresh schema per
test) and Tantivy (an index folder per test, its symbols in SQLite), each filled with the
corpus of search_corpus.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from stockflow.adapters.search.postgres_fts import PostgresSearchIndex
from stockflow.adapters.search.sqlite_fts import SqliteSearchIndex
from stockflow.adapters.search.tantivy_index import TantivySearchIndex
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.search.domain import SearchRequest
from stockflow.search.ports import SearchIndex
from stockflow.search.query import parse
from tests.contract.search_corpus import COMPANIES, NEWS, SYMBOLS


async def sqlite_index(tmp_path) -> AsyncIterator[SearchIndex]:
    db = SqlDatabase(f"sqlite:///{tmp_path / 'search.db'}")
    await db.connect()
    try:
        yield SqliteSearchIndex(db)
    finally:
        await db.close()


async def tantivy_index(tmp_path) -> AsyncIterator[SearchIndex]:
    async for symbols in sqlite_index(tmp_path):
        ix = TantivySearchIndex(tmp_path / "tantivy", symbols)
        try:
            yield ix
        finally:
            await ix.close()


async def postgres_index(url: str) -> AsyncIterator[SearchIndex]:
    schema = f"search_{uuid.uuid4().hex[:16]}"
    db = SqlDatabase(url, schema=schema, pool_size=2)
    await db.connect()
    try:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield PostgresSearchIndex(db)
    finally:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await db.close()


_POSTGRES = pytest.param("postgresql", marks=pytest.mark.postgres)


async def _filled(request, tmp_path) -> AsyncIterator[SearchIndex]:
    if request.param == "postgresql":
        source = postgres_index(request.getfixturevalue("postgres_url"))
    else:
        source = tantivy_index(tmp_path) if request.param == "tantivy" else sqlite_index(tmp_path)
    async for ix in source:
        await ix.ensure_schema()
        await ix.ensure_schema()  # repeatable
        await ix.upsert(COMPANIES + NEWS)
        await ix.upsert_symbols(SYMBOLS)
        yield ix


@pytest.fixture(params=["sqlite", _POSTGRES, "tantivy"])
async def index(request, tmp_path) -> AsyncIterator[SearchIndex]:
    async for ix in _filled(request, tmp_path):
        yield ix


@pytest.fixture(params=["sqlite", _POSTGRES])
async def sql_index(request, tmp_path) -> AsyncIterator[SearchIndex]:
    """The SQL engines only, for what concerns their statements."""
    async for ix in _filled(request, tmp_path):
        yield ix


async def search(ix: SearchIndex, text: str, **kwargs):
    return await ix.search(SearchRequest(parse(text), **kwargs))


def keys(page) -> list[str]:
    return [h.document.key for h in page.hits]
