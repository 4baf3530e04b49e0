"""bench/pipeline: ticks/s from ingestion to committed rows, through the processor and the storage
writer, on the embedded default (SQLite + in-process bus) and scaled out (PostgreSQL + Redis
Streams, PostgreSQL + NATS JetStream, PostgreSQL + RabbitMQ). Each is printed against raw references measured in the
same run: the same rows bulk-inserted directly (plain executemany / COPY), and raw publishes of
the same events on the bus. Goals: >= 100,000 ticks/s end to end embedded; >= 0.5x the raw
bulk-insert rate on PostgreSQL.

Scaled out, the stages run two ways: in this process (`one process`, the shape of `stockflow up`
pointed at PostgreSQL and a broker) and as `stockflow worker processor` and `stockflow worker
storage` processes (`processes`, the scaled-out deployment), where the bench only publishes.
Those take smaller batches (--process-batches, default 16 and 10 events per read, set through
STOCKFLOW_PIPELINE__*_BATCH_EVENTS): a stage in its own process overlaps with the next only when
a burst is cut into several batches. In one process the larger defaults are faster."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime

import aio_pika
import nats
import nats.js.errors
import redis.asyncio as aioredis
import sqlalchemy as sa

from stockflow.adapters.bus.rabbitmq import exchange_name, queue_name
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.bootstrap import bootstrap
from stockflow.core import registry
from stockflow.core.catalogue import BAR_CLOSED, PROCESSED_TICKS, QUOTE_UPDATED, RAW_TICKS
from stockflow.core.events import make_event
from stockflow.pipeline.handlers import CHUNK, chunks
from stockflow.pipeline.repository import COLUMNS, IDENTITY, SqlTickStore, tick_row
from stockflow.pipeline.tables import ticks as ticks_table
from stockflow.settings import Settings

RAW = RAW_TICKS.name
PROCESSED, BARS, QUOTES = PROCESSED_TICKS.name, BAR_CLOSED.name, QUOTE_UPDATED.name
RAW_BENCH_TOPIC = "bench.raw"  # on a bus prefix (stream, exchanges) of its own per run
TICKERS = ["NVDA", "MSFT", "AAPL", "AMZN", "GOOGL", "META", "TSLA", "AMD", "JPM", "XOM",
           "BTC-USD", "ETH-USD"]


def raw_ticks(n: int, now_us: int) -> list[dict]:
    start = now_us - n  # one tick per microsecond, all in the last fraction of a second
    return [{"provider": "bench", "symbol": TICKERS[i % len(TICKERS)], "seq": i,
             "ts": start + i, "price": 100.0 + (i % 13) * 0.01, "size": 1 + i % 5,
             "bid": 99.99, "ask": 100.02, "bid_size": 100, "ask_size": 100, "prev_close": 99.5}
            for i in range(n)]


def now_us() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)


async def until_stored(db: SqlDatabase, last: dict, n: int) -> None:
    """Wait until `n` ticks are committed. A primary-key probe for the last tick every 10 ms,
    then counts: polling count(*) itself would scan the growing table and take a core from
    the stages being measured."""
    t = ticks_table.c
    probe = sa.select(t.seq).where(t.provider == last["provider"], t.symbol == last["symbol"],
                                   t.seq == last["seq"])
    while True:
        async with db.engine.connect() as conn:
            if (await conn.execute(probe)).first() is not None:
                break
        await asyncio.sleep(0.01)
    store = SqlTickStore(db)
    while await store.count() < n:
        await asyncio.sleep(0.01)


async def end_to_end(storage_url: str, bus_url: str, n: int) -> tuple[float, list[dict]]:
    tmp = tempfile.mkdtemp(prefix="stockflow-bench-")
    settings = Settings(data_dir=tmp, storage={"url": storage_url}, bus={"url": bus_url},
                        simulator={"backfill_on_start": False},
                        services={"live_quotes": False, "market_data": False,
                                  "workers": ["processor", "storage"]},
                        log={"level": "WARNING"})
    c = bootstrap(settings, services=())
    await c.start()
    ticks = raw_ticks(n, now_us())
    events = [make_event(RAW, {"ticks": list(ch)}) for ch in chunks(ticks)]
    started = time.perf_counter()
    await c.bus.publish_many(RAW, events)
    await until_stored(c.db, ticks[-1], n)
    elapsed = time.perf_counter() - started
    await c.stop()
    return n / elapsed, ticks


async def end_to_end_processes(storage_url: str, bus_url: str, n: int,
                               batches: tuple[int, int]) -> float:
    """The processor and the storage writer as `stockflow worker` processes; this process only
    publishes the raw ticks and counts the committed rows. `batches`: events per read of the
    processor and of the storage writer."""
    tmp = tempfile.mkdtemp(prefix="stockflow-bench-")
    env = {**os.environ, "STOCKFLOW_DATA_DIR": tmp, "STOCKFLOW_STORAGE__URL": storage_url,
           "STOCKFLOW_BUS__URL": bus_url, "STOCKFLOW_SIMULATOR__BACKFILL_ON_START": "false",
           "STOCKFLOW_SERVICES__LIVE_QUOTES": "false", "STOCKFLOW_LOG__LEVEL": "WARNING",
           "STOCKFLOW_PIPELINE__PROCESSOR_BATCH_EVENTS": str(batches[0]),
           "STOCKFLOW_PIPELINE__STORAGE_BATCH_EVENTS": str(batches[1])}
    bus = registry.build("bus", bus_url)
    # The groups exist before the first publish, whichever process starts first (on RabbitMQ a
    # queue keeps only what is published once it exists).
    await bus.declare(RAW, "processor")
    await bus.declare(PROCESSED, "storage")
    await bus.start()
    workers = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from stockflow.entrypoints.cli import main; main()", "worker",
        name, env=env) for name in ("processor", "storage")]
    db = SqlDatabase(storage_url)
    await db.connect()
    await db.migrate()
    try:
        ticks = raw_ticks(n + CHUNK, now_us())
        # One warm-up batch through both workers, so start-up is not in the measured time.
        await bus.publish(RAW, make_event(RAW, {"ticks": ticks[:CHUNK]}))
        await until_stored(db, ticks[CHUNK - 1], CHUNK)
        events = [make_event(RAW, {"ticks": list(ch)}) for ch in chunks(ticks[CHUNK:])]
        started = time.perf_counter()
        await bus.publish_many(RAW, events)
        await until_stored(db, ticks[-1], n + CHUNK)
        elapsed = time.perf_counter() - started
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            await asyncio.wait_for(w.wait(), 30)
        await bus.stop()
        await db.close()
    return n / elapsed


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
    topic = RAW_BENCH_TOPIC
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
    parser.add_argument("--rabbitmq", default=os.environ.get(
        "STOCKFLOW_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--only", choices=["embedded", "redis", "nats", "rabbitmq"], nargs="*")
    parser.add_argument("--shape", choices=["one-process", "processes", "both"], default="both",
                        help="how the scaled-out configurations run the stages")
    parser.add_argument("--process-batches", default="16,10",
                        help="events per read of the processor and storage processes; "
                             "the defaults of one process are 64,50")
    args = parser.parse_args()
    batches = tuple(int(b) for b in args.process_batches.split(","))
    tag = uuid.uuid4().hex[:8]
    configs = urls(args, tag, f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    keys = {"embedded": 0, "redis": 1, "nats": 2, "rabbitmq": 3}
    wanted = [list(configs)[keys[k]] for k in args.only] if args.only else list(configs)
    print("| configuration | end-to-end ticks/s | raw bulk insert rows/s | vs insert "
          "| raw bus ticks/s | vs bus |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in wanted:
        storage, bus = configs[name]
        shapes = ["one process"] if "sqlite" in storage else {
            "one-process": ["one process"], "processes": [f"processes, batches {batches}"],
            "both": ["one process", f"processes, batches {batches}"]}[args.shape]
        e2e = {}
        for shape in shapes:
            if shape == "one process":
                e2e[shape], _ = await end_to_end(storage, bus, args.ticks)
            else:
                # A fresh schema and stream: the processes start from an empty table.
                storage, bus = urls(args, tag + "p", "")[name]
                e2e[shape] = await end_to_end_processes(storage, bus, args.ticks, batches)
        ins = await raw_insert(storage.split("?")[0] if "sqlite" not in storage
                               else f"sqlite:///{tempfile.mkdtemp()}/raw.db", args.ticks)
        rbus = await raw_bus(bus, args.ticks)
        for shape, rate in e2e.items():
            label = name if "sqlite" in storage else f"{name}, {shape}"
            print(f"| {label} | {rate:,.0f} | {ins:,.0f} | {rate / ins:.2f}x | {rbus:,.0f} "
                  f"| {rate / rbus:.2f}x |", flush=True)
        if storage.startswith("postgres"):
            await drop_schemas(args.postgres, tag)
        await drop_streams(bus, tag)


def urls(args: argparse.Namespace, tag: str, sqlite_url: str) -> dict[str, tuple[str, str]]:
    """(storage URL, bus URL) per configuration, in a schema and on streams named after `tag`."""
    return {
        "embedded (SQLite + in-process)": (sqlite_url, "memory://"),
        "PostgreSQL + Redis Streams": (f"{args.postgres}?schema=bench_r{tag}",
                                       f"{args.redis}?prefix=bench{tag}:"),
        "PostgreSQL + NATS JetStream": (
            f"{args.postgres}?schema=bench_n{tag}",
            f"{args.nats}?stream=BENCH{tag.upper()}&subject_prefix=bench{tag}"),
        "PostgreSQL + RabbitMQ": (f"{args.postgres}?schema=bench_q{tag}",
                                  f"{args.rabbitmq}?prefix=bench{tag}."),
    }


async def drop_schemas(postgres: str, tag: str) -> None:
    db = SqlDatabase(postgres)
    await db.connect()
    async with db.engine.begin() as conn:
        schemas = (await conn.exec_driver_sql(
            f"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench_%{tag}%'")).scalars()
        for schema in list(schemas):
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await db.close()


async def drop_streams(bus_url: str, tag: str) -> None:
    """Delete what the run left on the broker: each run retains ~100 MB of events otherwise."""
    if bus_url.startswith("redis"):
        client = aioredis.Redis.from_url(bus_url.split("?")[0])
        keys = [k async for k in client.scan_iter(match=f"bench{tag}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    elif bus_url.startswith("nats"):
        nc = await nats.connect(bus_url.split("?")[0])
        for stream in (f"BENCH{tag.upper()}", f"BENCH{tag.upper()}P"):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await nc.jetstream().delete_stream(stream)
        await nc.close()
    elif bus_url.startswith("amqp"):
        await drop_rabbitmq(bus_url.split("?")[0], [f"bench{tag}.", f"bench{tag}p."])


async def drop_rabbitmq(url: str, prefixes: list[str]) -> None:
    """RabbitMQ cannot list queues over AMQP: delete every name the run may have declared."""
    topics = [RAW, PROCESSED, BARS, QUOTES, RAW_BENCH_TOPIC]
    topics += [f"{t}.dlq" for t in topics]
    conn = await aio_pika.connect(url)
    channel = await conn.channel()
    for prefix, topic in itertools.product(prefixes, topics):
        for group in ("processor", "storage", "realtime", "bench"):
            await channel.queue_delete(queue_name(prefix, topic, group))
        await channel.queue_delete(exchange_name(prefix, topic))  # dead-letter parking queue
        await channel.exchange_delete(exchange_name(prefix, topic))
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
