"""bench/alerts_delivery: webhook deliveries a minute, end to end from `market.quote.updated` on
the bus to a 2xx at a local receiver, and the trigger → delivery latency (p50/p99).

Embedded: one process runs the alerts worker as `stockflow up` builds it (bootstrap, the
in-process bus, the index sync, the recorder, the delivery loop, the real webhook notifier with
signing, the SSRF guard and the pinned address) on PostgreSQL. N rules each watch their own
ticker with one webhook channel; N quotes each cross one rule. The receiver is a separate
process (a minimal asyncio HTTP/1.1 server answering 204), so it does not share this process's
event loop. Latency is the receiver's wall clock at arrival minus the quote event's time.
Reference: the same number of signed POSTs sent straight from the notifier, no bus or storage.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path

import orjson

RESPONSE = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


def _append(path: str, lines: list[bytes]) -> None:
    # A few KB every half second; the receiver's own process, so blocking is harmless.
    with Path(path).open("ab") as f:
        f.write(b"\n".join(lines) + b"\n")


def receiver(port_out: mp.Queue, log_path: str) -> None:
    """Answer every POST with 204; log (arrival time, the rule's ticker, payload timestamp)."""
    lines: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                at = time.time()
                headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:-2]
                               if b": " in line)
                lowered = {k.lower(): v for k, v in headers.items()}
                body = await reader.readexactly(int(lowered.get(b"content-length", b"0")))
                doc = orjson.loads(body) if body else {}
                ticker = (doc.get("data", {}).get("condition") or {}).get("ticker", "")
                lines.append(orjson.dumps([at, ticker, doc.get("timestamp", "")]))
                writer.write(RESPONSE)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=1024)
        port_out.put(server.sockets[0].getsockname()[1])
        while True:
            await asyncio.sleep(0.5)
            if lines:
                _append(log_path, lines)
                lines.clear()

    asyncio.run(main())


async def run(n: int, paced: int, rate: float, pg_url: str, port: int) -> float:
    """Seconds for the burst of n firings; then `paced` more at `rate` a second, whose
    arrival latency is the trigger → delivery figure of an alerts worker that keeps up."""
    from stockflow.alerts.channels import ChannelService
    from stockflow.alerts.schemas import AlertCreate, ChannelCreate
    from stockflow.alerts.service import AlertRules
    from stockflow.bootstrap import bootstrap
    from stockflow.core.catalogue import QUOTE_UPDATED
    from stockflow.settings import Settings

    schema = f"bench_alerts_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        data_dir=Path("/tmp") / schema, storage={"url": f"{pg_url}?schema={schema}"},
        bus={"url": "memory://"}, simulator={"enabled": False}, log={"level": "WARNING"},
        services={"workers": ["alerts"], "live_quotes": False}, jobs={"enabled": False},
        alerts={"webhook_allowed_hosts": ["127.0.0.1/32"], "webhook_allowed_ports": [port],
                "delivery_batch": 500, "max_rules_by_tier": {"enterprise": n + paced}})
    container = bootstrap(settings, services=())
    await container.start()
    try:
        rules = container.platform.ports.get(AlertRules)
        channel, _ = await rules.add_channel("bench", ChannelCreate(
            kind="webhook", target=f"http://127.0.0.1:{port}/hook"))
        # Verified the way a user would: a signed ping the receiver answers with a 2xx.
        assert (await container.platform.ports.get(ChannelService)
                .send_verification(channel)).ok
        tickers = [f"B{i}" for i in range(n)] + [f"P{i}" for i in range(paced)]
        for ticker in tickers:
            await rules.create("bench", "enterprise", AlertCreate.model_validate({
                "channel_ids": [channel.id],
                "condition": {"type": "price_above", "ticker": ticker, "level": 100}}))
        unit = container.platform.registry.running_workers["alerts"].unit
        while len(unit.evaluator.index) < len(tickers):
            await asyncio.sleep(0.1)
        bus = container.platform.bus
        started = time.perf_counter()
        for s in range(0, n, 500):
            await bus.publish_many(QUOTE_UPDATED.name, [
                QUOTE_UPDATED.event({"ticker": f"B{i}", "price": 150.0}, key=f"B{i}")
                for i in range(s, min(s + 500, n))])
        repo = rules.repo
        # The count is a query on the same event loop: polled every 0.25 s it costs the run
        # a few per cent (every 0.05 s it took a fifth of the CPU), and the figure errs slow.
        while (await repo.delivered_count()) < n:
            await asyncio.sleep(0.25)
        took = time.perf_counter() - started
        for i in range(paced):
            await bus.publish(QUOTE_UPDATED.name, QUOTE_UPDATED.event(
                {"ticker": f"P{i}", "price": 150.0}, key=f"P{i}"))
            await asyncio.sleep(1 / rate)
        while (await repo.delivered_count()) < n + paced:
            await asyncio.sleep(0.05)
        return took
    finally:
        await container.stop()
        await drop_schema(pg_url, schema)


async def drop_schema(pg_url: str, schema: str) -> None:
    from stockflow.adapters.storage.database import SqlDatabase

    db = SqlDatabase(pg_url)
    await db.connect()
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await db.close()


async def reference(n: int, port: int) -> float:
    """The same signed POSTs, 100 at a time (the delivery loop's concurrency per batch)."""
    from stockflow.adapters.notify.webhook.sender import WebhookNotifier
    from stockflow.alerts.ports import Message
    from stockflow.alerts.signing import generate_secret
    from stockflow.alerts.ssrf import WebhookGuard
    from stockflow.core.clock import SystemClock

    notifier = WebhookNotifier(WebhookGuard(allowed=["127.0.0.1/32"], ports=[port]),
                               SystemClock())
    secret = generate_secret()
    started = time.perf_counter()
    for s in range(0, n, 500):
        await asyncio.gather(*(notifier.send(Message(
            f"msg_ref_{i}", f"http://127.0.0.1:{port}/ref", "ref", "ref",
            payload={"timestamp": datetime.now().astimezone().isoformat()},
            secrets=(secret,))) for i in range(s, min(s + 500, n))))
    await notifier.close()
    return time.perf_counter() - started


def latencies(log_path: str) -> list[float]:
    """Seconds from each paced firing's quote event (tickers P...) to its arrival."""
    out = []
    for line in Path(log_path).read_bytes().splitlines():
        at, ticker, stamp = orjson.loads(line)
        if ticker.startswith("P") and stamp:
            out.append(at - datetime.fromisoformat(stamp).timestamp())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", type=int, default=5_000, help="firings in the burst")
    ap.add_argument("--paced", type=int, default=300, help="firings for the latency figure")
    ap.add_argument("--rate", type=float, default=20.0, help="paced quotes a second")
    ap.add_argument("--postgres", default=os.environ.get(
        "STOCKFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    log_path = f"/tmp/alerts-receiver-{uuid.uuid4().hex[:8]}.log"
    ctx = mp.get_context("spawn")
    ports: mp.Queue = ctx.Queue()
    rx = ctx.Process(target=receiver, args=(ports, log_path), daemon=True)
    rx.start()
    try:
        port = ports.get(timeout=30)
        ref = asyncio.run(reference(args.rules, port))
        took = asyncio.run(run(args.rules, args.paced, args.rate, args.postgres, port))
        time.sleep(1.5)          # the receiver writes its log every 0.5 s
    finally:
        rx.terminate()
    lat = latencies(log_path)
    Path(log_path).unlink(missing_ok=True)
    print(f"reference, signed POSTs straight from the notifier: {args.rules / ref * 60:,.0f}/min")
    print(f"end to end, quote on the bus -> 2xx at the receiver: {args.rules / took * 60:,.0f}"
          f"/min ({args.rules:,} deliveries in {took:.1f} s; goal >= 100,000/min)")
    if lat:
        q = statistics.quantiles(lat, n=100)
        print(f"trigger -> delivery at {args.rate:g} firings/s ({len(lat)}): p50 "
              f"{q[49] * 1000:,.0f} ms, p99 {q[98] * 1000:,.0f} ms (goal p99 < 1 s)")


if __name__ == "__main__":
    main()
