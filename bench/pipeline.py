"""bench/pipeline: ticks/s from ingestion to committed rows, through the processor and the storage
writer, on the embedded default (SQLite + in-process bus) and scaled out (PostgreSQL + Redis
Streams, PostgreSQL + NATS JetStream). Each is printed against raw references measured in the
same run: the same rows bulk-inserted directly (plain executemany / COPY), and raw publishes of
the same events on the bus. Goals: >= 100,000 ticks/s end to end embedded; >= 0.5x the raw
bulk-insert rate on PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.bootstrap import bootstrap
from stockflow.core import registry
from stockflow.core.events import make_event
from stockflow.pipeline.repository import COLUMNS, IDENTITY, SqlTickStore, tick_row
from stockflow.pipeline.workers import RAW, chunks
from stockflow.settings import Settings

TICKERS = ["NVDA", "MSFT", "AAPL", "AMZN", "GOOGL", "META", "TSLA", "AMD", "JPM", "XOM",
           "BTC-USD", "ETH-USD"]


def raw_ticks(n: int, now_us: int) -> list[dict]:
    start = now_us - n  # one tick per microsecond, all in the last fraction of a second
    return [{"provider": "bench", "symbol": TICKERS[i % len(TICKERS)], "seq": i,
             "ts": start + i, "price": 100.0 + (i % 13) * 0.01, "size": 1 + i % 5,
             "bid": 99.99, "ask": 100.02, "bid_size": 100, "ask_size": 100, "prev_close": 99.5}
            for i in range(n)]


async def end_to_end(storage_url: str, bus_url: str, n: int) -> tuple[float, list[dict]]:
    tmp = tempfile.mkdtemp(prefix="stockflow-bench-")
    settings = Settings(data_dir=tmp, storage={"url": storage_url}, bus={"url": bus_url},
                        simulator={"backfill_on_start": False},
                        services={"live_quotes": False, "market_data": False,
                                  "workers": ["processor", "storage"]},
                        log={"level": "WARNING"})
    c = bootstrap(settings)
    await c.start()
    store = SqlTickStore(c.db)
    ticks = raw_ticks(n, int(datetime.now(UTC).timestamp() * 1_000_000))
    events = [make_event(RAW, {"ticks": list(ch)}) for ch in chunks(ticks)]
    started = time.perf_counter()
    await c.bus.publish_many(RAW, events)
    while await store.count() < n:
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    await c.stop()
    return n / elapsed, ticks


async def raw_insert(storage_url: str, n: int) -> float:
    """The same rows, bulk-inserted straight into an empty ticks table (no bus, no processor)."""
    schema = None
    if storage_url.startswith("postgres"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
    db = SqlDatabase(storage_url, schema=schema)
    await db.connect()
    await db.migrate()
    now = int(datetime.now(UTC).timestamp() * 1_000_000)
    rows = [tick_row({**t, "ticker": t["symbol"], "vwap": 100.0, "volume": 1.0})
            for t in raw_ticks(n, now)]
    started = time.perf_counter()
    for part in chunks(rows, 100_000):
        await db.bulk_insert("ticks", COLUMNS, part, conflict_keys=IDENTITY,
                             skip_conflicts=False)
    elapsed = time.perf_counter() - started
    if schema:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    await db.close()
    return n / elapsed


async def raw_bus(bus_url: str, n: int) -> float:
    """Raw publishes of the same tick batches, consumed by a handler that does nothing."""
    bus = registry.build("bus", bus_url)
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    got = 0
    done = asyncio.Event()

    async def sink(events):
        nonlocal got
        got += sum(len(e.data["ticks"]) for e in events)
        if got >= n:
            done.set()

    bus.subscribe_batch(topic, "bench", sink, max_batch=64)
    await bus.start()
    events = [make_event(topic, {"ticks": list(ch)}) for ch in chunks(raw_ticks(n, 0))]
    started = time.perf_counter()
    await bus.publish_many(topic, events)
    await asyncio.wait_for(done.wait(), 300)
    elapsed = time.perf_counter() - started
    await bus.stop()
    return n / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=200_000)
    parser.add_argument("--postgres", default=os.environ.get(
        "STOCKFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--redis", default=os.environ.get("STOCKFLOW_TEST_REDIS_URL",
                                                          "redis://127.0.0.1:6379/0"))
    parser.add_argument("--nats", default=os.environ.get("STOCKFLOW_TEST_NATS_URL",
                                                         "nats://127.0.0.1:4222"))
    parser.add_argument("--only", choices=["embedded", "redis", "nats"], nargs="*")
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    sqlite_url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    configs = {
        "embedded (SQLite + in-process)": (sqlite_url, "memory://"),
        "PostgreSQL + Redis Streams": (f"{args.postgres}?schema=bench_r{tag}",
                                       f"{args.redis}?prefix=bench{tag}:"),
        "PostgreSQL + NATS JetStream": (
            f"{args.postgres}?schema=bench_n{tag}",
            f"{args.nats}?stream=BENCH{tag.upper()}&subject_prefix=bench{tag}"),
    }
    keys = {"embedded": 0, "redis": 1, "nats": 2}
    wanted = [list(configs)[keys[k]] for k in args.only] if args.only else list(configs)
    print("| configuration | end-to-end ticks/s | raw bulk insert rows/s | vs insert "
          "| raw bus ticks/s | vs bus |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in wanted:
        storage, bus = configs[name]
        e2e, _ = await end_to_end(storage, bus, args.ticks)
        ins = await raw_insert(storage.split("?")[0] if "sqlite" not in storage
                               else f"sqlite:///{tempfile.mkdtemp()}/raw.db", args.ticks)
        rbus = await raw_bus(bus, args.ticks)
        print(f"| {name} | {e2e:,.0f} | {ins:,.0f} | {e2e / ins:.2f}x | {rbus:,.0f} "
              f"| {e2e / rbus:.2f}x |", flush=True)
        if storage.startswith("postgres"):
            db = SqlDatabase(storage.split("?")[0])
            await db.connect()
            async with db.engine.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{storage.split("=")[-1]}" '
                                           "CASCADE")
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
