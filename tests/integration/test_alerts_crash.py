"""Crash test of the alerts worker on real engines: `stockflow worker alerts` is killed with
kill -9 again and again while it fires rules and delivers webhooks to a local receiver, then
restarted. Every firing must reach the receiver (0 lost); a repeat is only ever the same
webhook-id again (one delivery row per firing), never a second notification of one firing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.service import AlertRules
from stockflow.alerts.ssrf import WebhookGuard
from stockflow.alerts.tables import alert_deliveries, alert_history
from stockflow.core import registry
from stockflow.core.catalogue import QUOTE_UPDATED
from stockflow.core.clock import SystemClock
from stockflow.testing.services import require_service_url
from tests.unit.alerts.receiver import Receiver

STOCKFLOW = str(Path(sys.executable).with_name("stockflow"))
# One rule per ticker, one webhook delivery per firing. 2,000 in the suite (2 shared cores);
# STOCKFLOW_CRASH_ALERTS_RULES=100000 runs the full-size chaos run, reported in
# bench/README.md.
RULES = int(os.environ.get("STOCKFLOW_CRASH_ALERTS_RULES", "2000"))
KILLS = 3
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600 + RULES // 50)]


async def _prepare(pg_url: str, schema: str, target: str) -> None:
    db = SqlDatabase(pg_url, schema=schema)
    await db.connect()
    await db.migrate(["stockflow.alerts.migrations"])
    repo = SqlAlertRepository(db)
    rules = AlertRules(repo, AlertsSettings(), SystemClock(),
                       WebhookGuard(allowed=["127.0.0.1/32"], ports=[int(target.split(":")[-1]
                                                                           .split("/")[0])]))
    channel, _ = await rules.add_channel("crash-user", ChannelCreate(kind=ChannelKind.WEBHOOK,
                                                                     target=target))
    await repo.update_channel(replace(channel, verified=True))   # as its signed ping would have
    # The first through the service (validation, limits); the rest as copies of it, written
    # in batches (one by one, the tier's rule count makes 100 k creates quadratic).
    first = await rules.create("crash-user", "enterprise", AlertCreate.model_validate({
        "channel_ids": [channel.id],
        "condition": {"type": "price_above", "ticker": "CR0", "level": 100}}))
    copies = [first.model_copy(update={
        "id": str(uuid.uuid4()),
        "condition": first.condition.model_copy(update={"ticker": f"CR{i}"})})
        for i in range(1, RULES)]
    for at in range(0, len(copies), 5_000):
        await repo.add_rules(copies[at:at + 5_000])
    await db.close()


async def _publish(bus_url: str) -> None:
    bus = registry.build("bus", bus_url)
    await bus.declare(QUOTE_UPDATED.name, "alerts")
    await bus.start()
    try:
        for start in range(0, RULES, 100):     # a steady stream, so kills land mid-stream
            await bus.publish_many(QUOTE_UPDATED.name, [
                QUOTE_UPDATED.event({"ticker": f"CR{i}", "price": 150.0}, key=f"CR{i}")
                for i in range(start, min(start + 100, RULES))])
            await asyncio.sleep(0.1)
    finally:
        await bus.stop()


async def _stored(pg_url: str, schema: str) -> dict[str, int]:
    db = SqlDatabase(pg_url, schema=schema)
    await db.connect()
    try:
        async with db.engine.connect() as conn:
            d = alert_deliveries.c
            per_history = (sa.select(sa.func.count().label("n")).select_from(alert_deliveries)
                           .group_by(d.history_id).subquery())
            return {
                "history": (await conn.execute(sa.select(sa.func.count()).select_from(
                    alert_history))).scalar_one(),
                "deliveries": (await conn.execute(sa.select(sa.func.count()).select_from(
                    alert_deliveries))).scalar_one(),
                "delivered": (await conn.execute(sa.select(sa.func.count()).where(
                    d.status == "delivered"))).scalar_one(),
                "retried": (await conn.execute(sa.select(sa.func.count()).where(
                    d.attempts > 1))).scalar_one(),
                "per_history_max": (await conn.execute(sa.select(sa.func.coalesce(
                    sa.func.max(per_history.c.n), 0)))).scalar_one()}
    finally:
        await db.close()


def _drop(pg_url: str, schema: str, bus_kind: str, base: str, tag: str) -> None:
    async def run() -> None:
        db = SqlDatabase(pg_url)
        await db.connect()
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await db.close()
        from tests.integration.test_pipeline_crash import _drop_bus
        await _drop_bus(bus_kind, base, tag)
    asyncio.run(run())


def _bus_url(bus_kind: str, tag: str) -> tuple[str, str]:
    if bus_kind == "redis":
        base = require_service_url("STOCKFLOW_TEST_REDIS_URL", "Redis")
        return base, f"{base}?prefix=crash{tag}:&claim_idle_ms=5000"
    base = require_service_url("STOCKFLOW_TEST_NATS_URL", "NATS")
    return base, f"{base}?stream=CRASH{tag.upper()}&subject_prefix=crash{tag}&ack_wait=5"


def _run_through_kills(env: dict[str, str], rx: Receiver, pg_url: str, schema: str,
                       logs: list[str]) -> list[int]:
    """Kill each of the first KILLS incarnations once it has delivered more than the last
    one; the last one drains. Returns the receiver's count at each kill."""
    at_kill: list[int] = []
    deadline = time.monotonic() + 300 + RULES // 100
    while time.monotonic() < deadline:
        seen = len(rx.requests)
        proc = subprocess.Popen([STOCKFLOW, "worker", "alerts"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            if len(at_kill) < KILLS:
                while time.monotonic() < deadline and proc.poll() is None and \
                        len(rx.requests) < seen + RULES // 8:
                    time.sleep(0.05)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    at_kill.append(len(rx.requests))
                continue
            while time.monotonic() < deadline and proc.poll() is None and \
                    asyncio.run(_stored(pg_url, schema))["delivered"] < RULES:
                time.sleep(0.5)
            return at_kill
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            logs.append(proc.communicate(timeout=60)[0])
    return at_kill


@pytest.mark.parametrize("bus_kind", ["redis", "nats"])
def test_no_firing_is_lost_and_repeats_keep_their_webhook_id(bus_kind):
    pg_url = require_service_url("STOCKFLOW_TEST_POSTGRES_URL", "PostgreSQL")
    tag = uuid.uuid4().hex[:10]
    schema = f"alerts_crash_{tag}"
    base, bus_url = _bus_url(bus_kind, tag)
    logs: list[str] = []
    with Receiver() as rx:
        try:
            asyncio.run(_prepare(pg_url, schema, f"{rx.url}/hook"))
            env = {**os.environ, "STOCKFLOW_STORAGE__URL": f"{pg_url}?schema={schema}",
                   "STOCKFLOW_BUS__URL": bus_url, "STOCKFLOW_LOG__LEVEL": "WARNING",
                   "STOCKFLOW_SIMULATOR__ENABLED": "false",
                   "STOCKFLOW_ALERTS__WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1/32"]',
                   "STOCKFLOW_ALERTS__WEBHOOK_ALLOWED_PORTS": f"[{rx.port}]",
                   # A killed worker's leased rows are due again this soon.
                   "STOCKFLOW_ALERTS__DELIVERY_LEASE_SECONDS": "3",
                   # The receiver may refuse connections under the restart storm; retry on a
                   # schedule of seconds, not the production one of minutes and hours.
                   "STOCKFLOW_ALERTS__RETRY_DELAYS_SECONDS": "[1, 1, 2, 2, 3, 3, 5]"}
            publisher = subprocess.Popen([sys.executable, "-c", (
                f"import asyncio, sys; sys.path.insert(0, {os.getcwd()!r}); "
                "from tests.integration.test_alerts_crash import _publish; "
                f"asyncio.run(_publish({bus_url!r}))")])
            at_kill = _run_through_kills(env, rx, pg_url, schema, logs)
            assert publisher.wait(timeout=120 + RULES // 100) == 0
            stored = asyncio.run(_stored(pg_url, schema))
        finally:
            _drop(pg_url, schema, bus_kind, base, tag)
    tail = "\n".join(logs)[-3000:]
    assert len(at_kill) == KILLS and all(0 < n < RULES for n in at_kill[:1]), (at_kill, tail)
    ids = Counter(r.headers["webhook-id"] for r in rx.requests if r.path == "/hook")
    # 0 lost: every firing was recorded once, with one delivery row, and reached the receiver.
    retried = stored.pop("retried")
    assert stored == {"history": RULES, "deliveries": RULES, "delivered": RULES,
                      "per_history_max": 1}, (retried, tail)
    assert len(ids) == RULES
    repeats = sum(n - 1 for n in ids.values())
    print(f"{bus_kind}: {RULES} firings, kills at {at_kill} received, "
          f"{repeats} repeats of a webhook-id, {retried} deliveries needed a retry")
