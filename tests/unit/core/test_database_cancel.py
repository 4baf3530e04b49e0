"""A task cancelled in the middle of a SQLite write transaction must not leave the file locked:
the platform's shutdown cancels its background tasks wherever they are (lifecycle.cancel_and_wait),
and the next process to open the file has to be able to write. Before the fix the dropped
connection was closed with its transaction open and stayed a zombie holding the write lock."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from stockflow.adapters.storage.database import SqlDatabase

# About a second, so the cancellation lands while it runs on the driver's thread.
_SLOW = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
         "SELECT count(*) FROM c")


def _can_write(path) -> bool:
    probe = sqlite3.connect(path, timeout=0.2)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


_ROWS = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) "
         "SELECT x FROM c")


async def _slow(conn, started: asyncio.Event) -> None:
    started.set()
    await conn.exec_driver_sql(_SLOW)


async def _idle(conn, started: asyncio.Event) -> None:
    started.set()
    await asyncio.sleep(30)


async def _cursor_then_slow(conn, started: asyncio.Event) -> None:
    result = await conn.stream(sa.text(_ROWS))
    await result.fetchmany(10)               # a cursor of the connection left open, partly read
    started.set()
    await conn.exec_driver_sql(_SLOW)


@pytest.mark.parametrize("body", [_slow, _idle, _cursor_then_slow])
async def test_a_cancelled_write_transaction_releases_the_file(tmp_path, body):
    path = tmp_path / "cancel.db"
    others = set(threading.enumerate())   # other tests' connections may be open in this process
    db = SqlDatabase(f"sqlite:///{path}")
    await db.connect()
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    started = asyncio.Event()

    async def writer() -> None:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO t VALUES (1)")    # now holds the write lock
            await body(conn, started)

    task = asyncio.create_task(writer())
    await started.wait()
    await asyncio.sleep(0.05)
    task.cancel()                          # the connection is dropped wherever the task is
    await asyncio.wait([task], timeout=30)
    assert task.cancelled()
    await db.close()

    # close() waits for the dropped connection's thread: its statement done, rolled back (a
    # pooled connection's thread, closed by dispose, may take a moment more to return)
    mine = [t for t in set(threading.enumerate()) - others if "_connection_worker_thread" in t.name]
    for thread in mine:
        thread.join(timeout=5)
    assert not [t for t in mine if t.is_alive()]
    assert _can_write(path), "the cancelled transaction still holds the SQLite write lock"
    assert await _read_back(path) == [], "the cancelled transaction's row was committed"


async def _read_back(path) -> list[tuple[int]]:
    reader = sqlite3.connect(path)
    try:
        return reader.execute("SELECT x FROM t").fetchall()
    finally:
        reader.close()
