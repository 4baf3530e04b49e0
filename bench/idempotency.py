"""What making a handler idempotent costs per event, on each IdempotencyStore adapter.

A no-op handler behind `idempotent` (one event a call) and `idempotent_batch` (500 a call): a
claim and a done per call. Reference, measured in the same run on the same server: one plain
write per call of the same size (SQL: an INSERT of the rows in one transaction; Redis: a
pipeline of SETs; memory: the bare handler), i.e. the cheapest side effect a handler could have.

    .venv/bin/python bench/idempotency.py [--postgres URL] [--redis URL] [--events N]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from tempfile import TemporaryDirectory

import redis.asyncio as aioredis

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core import registry
from stockflow.core.events import Event, make_event
from stockflow.core.idempotency import idempotent, idempotent_batch

BATCH = 500


async def _noop(_: object) -> None:
    return None


async def rate(n: int, size: int, call: Callable[[list[Event]], Awaitable[None]]) -> float:
    """Events per second through `call`, fed `n` fresh events `size` at a time."""
    events = [make_event("bench.event", {}) for _ in range(n)]
    start = time.perf_counter()
    for i in range(0, n, size):
        await call(events[i:i + size])
    return n / (time.perf_counter() - start)


async def measure(name: str, store: object, raw: Callable[[list[Event]], Awaitable[None]],
                  n: int) -> None:
    single = idempotent(store, f"bench-{uuid.uuid4().hex[:8]}")(_noop)
    batch = idempotent_batch(store, f"bench-{uuid.uuid4().hex[:8]}")(_noop)

    async def one(events: list[Event]) -> None:
        await single(events[0])

    for label, size, guarded in (("single", 1, one), (f"batch {BATCH}", BATCH, batch)):
        count = n if size > 1 else max(200, n // 10)
        ref = await rate(count, size, raw)
        got = await rate(count, size, guarded)
        print(f"{name:<10} {label:<10} {got:>11,.0f} ev/s   raw write {ref:>11,.0f} ev/s   "
              f"ratio {got / ref:5.2f}")


def sql_raw(db: SqlDatabase, table: str) -> Callable[[list[Event]], Awaitable[None]]:
    async def write(events: list[Event]) -> None:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f"INSERT INTO {table} (id) VALUES (?)"
                                       if db.dialect == "sqlite" else
                                       f"INSERT INTO {table} (id) VALUES ($1)",
                                       [(e.id,) for e in events])
    return write


async def on_sql(name: str, url: str, n: int, schema: str | None = None) -> None:
    db = SqlDatabase(url, schema=schema)
    await db.connect()
    try:
        await db.migrate()
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE bench_writes (id VARCHAR(64) PRIMARY KEY)")
        store = registry.build("idempotency", "sql://", database=db)
        await measure(name, store, sql_raw(db, "bench_writes"), n)
    finally:
        if schema:
            async with db.engine.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await db.close()


async def on_redis(url: str, n: int) -> None:
    prefix = f"stockflow-bench:{uuid.uuid4().hex[:12]}:"
    client = aioredis.Redis.from_url(url)
    store = registry.build("idempotency", f"{url}?prefix={prefix}")

    async def write(events: list[Event]) -> None:
        pipe = client.pipeline(transaction=False)
        for e in events:
            pipe.set(f"{prefix}raw:{e.id}", b"1", px=600_000)
        await pipe.execute()

    try:
        await measure("redis", store, write, n)
    finally:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        for i in range(0, len(keys), 1000):
            await client.delete(*keys[i:i + 1000])
        await client.aclose()
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="PostgreSQL URL (a scratch schema is made and dropped)")
    parser.add_argument("--redis", help="Redis URL (keys under a scratch prefix, deleted after)")
    parser.add_argument("--events", type=int, default=20_000, help="events per batch run")
    args = parser.parse_args()
    await measure("memory", registry.build("idempotency", "memory://"),
                  lambda events: _noop(events), args.events)
    with TemporaryDirectory() as tmp:
        await on_sql("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.events)
    if args.postgres:
        await on_sql("postgresql", args.postgres, args.events,
                     schema=f"bench_{uuid.uuid4().hex[:12]}")
    if args.redis:
        await on_redis(args.redis, args.events)


if __name__ == "__main__":
    asyncio.run(main())
