"""A database that is busy answers 503 with Retry-After; any other database error stays a 500.

The lock is real: a second SQLite connection holds the file exclusively while the route
writes, and the route's engine waits zero seconds for it."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from stockflow.entrypoints.errors import install_error_handlers


@pytest.fixture
def locked_app(tmp_path):
    path = tmp_path / "busy.db"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.commit()
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 0})
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/write")
    async def write() -> dict:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        return {"ok": True}

    @app.post("/broken")
    async def broken() -> dict:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO no_such_table VALUES (1)"))
        return {"ok": True}

    yield app, setup
    setup.close()


async def _post(app, path):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path)


async def test_a_locked_sqlite_file_answers_503_with_retry_after(locked_app):
    app, other = locked_app
    assert (await _post(app, "/write")).status_code == 200
    other.execute("BEGIN EXCLUSIVE")
    r = await _post(app, "/write")
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"] == "1"
    assert "retry" in r.json()["detail"]
    other.rollback()
    assert (await _post(app, "/write")).status_code == 200


async def test_a_database_error_that_is_a_bug_stays_a_500(locked_app):
    app, _ = locked_app
    r = await _post(app, "/broken")
    assert r.status_code == 500
    assert r.json()["type"].endswith("internal")
