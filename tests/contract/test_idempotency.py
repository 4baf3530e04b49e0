"""IdempotencyStore contract, run on every adapter: memory, SQL (SQLite and a PostgreSQL schema
per test) and Redis (a key prefix per test), and the wrapper that makes a handler idempotent.

Memory and SQL take the caller's clock, so they run on a FakeClock; Redis keeps its own time,
so there `advance` really waits. Either way a lease or a retention is only ever waited out,
never raced: no assertion depends on how fast anything runs.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from stockflow.adapters.idempotency.tables import processed_events
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core import registry
from stockflow.core.clock import SystemClock
from stockflow.core.events import Event, make_event
from stockflow.core.idempotency import (
    Claim,
    EventInProgressError,
    IdempotencySettings,
    IdempotencyStore,
    build_store,
    idempotent,
    idempotent_batch,
)
from stockflow.core.ports import Clock
from stockflow.core.sql import metadata
from stockflow.testing.fakes import FakeClock
from stockflow.testing.services import require_service_url
from tests.contract.conftest import _postgres, _sqlite

REDIS_URL_ENV = "STOCKFLOW_TEST_REDIS_URL"
LONG = 600.0  # a lease no test outlives


@dataclass
class Backend:
    """One adapter's server; `store()` is one more member's store on it."""

    make: Callable[[float], IdempotencyStore]
    clock: Clock
    count: Callable[[], Awaitable[int]]  # entries held on the server, expired or not
    stores: list[IdempotencyStore] = field(default_factory=list)

    def store(self, retention: float = LONG) -> IdempotencyStore:
        self.stores.append(self.make(retention))
        return self.stores[-1]

    async def advance(self, seconds: float) -> None:
        if isinstance(self.clock, FakeClock):
            self.clock.advance(seconds)
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(seconds)  # Redis keeps its own time


async def _memory() -> AsyncIterator[Backend]:
    clock = FakeClock()
    shared: list[Any] = []

    def make(retention: float) -> IdempotencyStore:
        # One process: every "member" shares the one in-process store.
        if not shared:
            shared.append(registry.build("idempotency", "memory://", clock=clock,
                                         retention=retention))
        return shared[0]

    async def count() -> int:
        return len(shared[0]) if shared else 0

    yield Backend(make, clock, count)


async def _sql(source: AsyncIterator[SqlDatabase]) -> AsyncIterator[Backend]:
    clock = FakeClock()
    async for db in source:
        async def count(db: SqlDatabase = db) -> int:
            async with db.engine.connect() as conn:
                return (await conn.execute(
                    sa.select(sa.func.count()).select_from(processed_events))).scalar_one()

        yield Backend(lambda r, db=db: build_store(
            IdempotencySettings(url="sql://", retention_seconds=r), database=db, clock=clock),
            clock, count)


async def _redis() -> AsyncIterator[Backend]:
    url = require_service_url(REDIS_URL_ENV, "Redis")
    prefix = f"stockflow-test:{uuid.uuid4().hex[:12]}:"
    admin = aioredis.Redis.from_url(url)

    async def count() -> int:
        return len([k async for k in admin.scan_iter(match=f"{prefix}*")])

    store_url = f"{url}{'&' if '?' in url else '?'}prefix={prefix}"
    try:
        yield Backend(lambda r: build_store(IdempotencySettings(url=store_url,
                                                                retention_seconds=r)),
                      SystemClock(), count)
    finally:
        keys = [k async for k in admin.scan_iter(match=f"{prefix}*")]
        if keys:
            await admin.delete(*keys)
        await admin.aclose()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        "redis"])
async def backend(request, tmp_path) -> AsyncIterator[Backend]:
    sources = {"memory": _memory, "sqlite": lambda: _sql(_sqlite(tmp_path)), "redis": _redis,
               "postgresql": lambda: _sql(_postgres(request.getfixturevalue("postgres_url")))}
    async for b in sources[request.param]():
        try:
            yield b
        finally:
            for s in b.stores:
                await s.close()


async def test_first_claim_wins_and_a_second_is_refused_while_leased(backend: Backend) -> None:
    a, b = backend.store(), backend.store()
    assert isinstance(a, IdempotencyStore)
    assert await a.claim("c", ["e1", "e2"], "a", LONG) == {"e1": Claim.ACQUIRED,
                                                          "e2": Claim.ACQUIRED}
    assert await b.claim("c", ["e1", "e3"], "b", LONG) == {"e1": Claim.BUSY,
                                                          "e3": Claim.ACQUIRED}
    assert await a.claim("c", ["e1"], "a-retry", LONG) == {"e1": Claim.BUSY}
    # Consumers are apart: another consumer of the same event has its own entry.
    assert await b.claim("other", ["e1"], "b", LONG) == {"e1": Claim.ACQUIRED}
    assert await b.claim("c", [], "b", LONG) == {}


async def test_done_is_permanent_until_expiry(backend: Backend) -> None:
    a, b = backend.store(), backend.store()
    await a.claim("c", ["e1"], "a", 1.0)
    assert await a.done("c", ["e1"], "a") == {"e1"}
    await backend.advance(1.5)  # past the claim's lease: done does not lease, it stays
    assert await b.claim("c", ["e1"], "b", LONG) == {"e1": Claim.DONE}
    await b.release("c", ["e1"], "a")  # a release never undoes a done entry, even the owner's
    assert await b.claim("c", ["e1"], "b", LONG) == {"e1": Claim.DONE}
    assert await b.done("c", ["e1"], "b") == set()  # done by another owner: not taken over


async def test_release_lets_a_retry_claim(backend: Backend) -> None:
    a, b = backend.store(), backend.store()
    await a.claim("c", ["e1", "e2"], "a", LONG)
    await b.release("c", ["e1", "e2"], "b")  # not b's claims: nothing happens
    assert await b.claim("c", ["e1"], "b", LONG) == {"e1": Claim.BUSY}
    await a.release("c", ["e1"], "a")
    assert await b.claim("c", ["e1", "e2"], "b", LONG) == {"e1": Claim.ACQUIRED,
                                                          "e2": Claim.BUSY}


async def test_an_expired_lease_lets_another_member_claim(backend: Backend) -> None:
    a, b, c = backend.store(), backend.store(), backend.store()
    assert await a.claim("c", ["e1"], "a", 0.5) == {"e1": Claim.ACQUIRED}
    await backend.advance(0.7)  # a crashed mid-handler: its lease runs out
    assert await b.claim("c", ["e1"], "b", LONG) == {"e1": Claim.ACQUIRED}
    # The late first attempt can neither give back nor finish its successor's claim.
    await a.release("c", ["e1"], "a")
    assert await a.done("c", ["e1"], "a") == set()
    assert await c.claim("c", ["e1"], "c", LONG) == {"e1": Claim.BUSY}
    assert await b.done("c", ["e1"], "b") == {"e1"}
    assert await c.claim("c", ["e1"], "c", LONG) == {"e1": Claim.DONE}


async def test_expiry_forgets_and_purge_removes_only_expired_entries(backend: Backend) -> None:
    # Real time on Redis: "new" only has to outlive the few statements after it, by 2 s.
    a, b = backend.store(retention=2.0), backend.store(retention=2.0)
    await a.claim("c", ["old", "stale-claim"], "a", 0.1)
    await a.done("c", ["old"], "a")
    await backend.advance(2.2)  # "old" and the abandoned claim are past the retention
    await a.claim("c", ["new"], "a", LONG)
    await a.done("c", ["new"], "a")
    await a.purge()
    assert await backend.count() == 1
    assert await b.claim("c", ["old", "stale-claim", "new"], "b", LONG) == {
        "old": Claim.ACQUIRED, "stale-claim": Claim.ACQUIRED, "new": Claim.DONE}


async def test_concurrent_claims_have_exactly_one_winner(backend: Backend) -> None:
    members = [backend.store() for _ in range(4)]
    answers = await asyncio.gather(*(members[i % 4].claim("c", ["e"], f"o{i}", LONG)
                                     for i in range(40)))
    assert Counter(a["e"] for a in answers) == {Claim.ACQUIRED: 1, Claim.BUSY: 39}


async def test_concurrent_overlapping_batches_give_each_event_one_winner(
        backend: Backend) -> None:
    members = [backend.store() for _ in range(4)]
    rng = random.Random(7)
    batches = [rng.sample([f"e{n}" for n in range(60)], 30) for _ in range(12)]
    answers = await asyncio.gather(*(members[i % 4].claim("c", batch, f"o{i}", LONG)
                                     for i, batch in enumerate(batches)))
    winners = Counter(e for a in answers for e, s in a.items() if s is Claim.ACQUIRED)
    assert set(winners.values()) == {1}
    assert set(winners) == {e for batch in batches for e in batch}


async def test_a_large_batch_is_claimed_and_done_whole(backend: Backend) -> None:
    a, b = backend.store(), backend.store()
    ids = [f"e{n}" for n in range(1_200)]  # beyond one statement's rows on every adapter
    assert set((await a.claim("c", ids, "a", LONG)).values()) == {Claim.ACQUIRED}
    assert set((await b.claim("c", ids, "b", LONG)).values()) == {Claim.BUSY}
    assert await a.done("c", ids, "a") == set(ids)
    answer = await b.claim("c", [*ids, "new"], "b", LONG)
    assert Counter(answer.values()) == {Claim.DONE: 1_200, Claim.ACQUIRED: 1}


def test_settings_default_to_a_week_in_process_and_name_the_store_by_url() -> None:
    settings = IdempotencySettings()
    assert (settings.url, settings.retention_seconds) == ("memory://", 7 * 86_400.0)
    assert build_store(settings).retention == 7 * 86_400.0
    with pytest.raises(ValueError, match="storage database"):
        build_store(IdempotencySettings(url="sql://"))
    with pytest.raises(registry.UnknownAdapterError, match="idempotency"):
        build_store(IdempotencySettings(url="kafka://x"))


# -- the wrapper ---------------------------------------------------------------------------


async def _settle(backend: Backend, *calls: Awaitable[None]) -> None:
    """Await the calls while time goes on, so that a duplicate waiting on a fake clock polls."""
    task = asyncio.ensure_future(asyncio.gather(*calls))
    while not task.done():
        await backend.advance(0.5)
        await asyncio.wait([task], timeout=0.05)  # real time for the store's own I/O
    await task


def _events(*ids: str) -> dict[str, Event]:
    return {i: make_event("test.happened", {"n": i}).model_copy(update={"id": i}) for i in ids}


async def test_the_wrapper_runs_a_handler_once_per_event_id_under_redelivery(
        backend: Backend) -> None:
    runs: Counter[str] = Counter()

    async def handle(event: Event) -> None:
        runs[event.id] += 1
        await asyncio.sleep(0)

    # Two members of one group, each with its own store on the one server.
    a, b = (idempotent(backend.store(), "notify", wait=LONG, clock=backend.clock)(handle)
            for _ in range(2))
    ev = _events("e1", "e2")
    await a(ev["e1"])
    await b(ev["e1"])
    await _settle(backend, a(ev["e2"]), b(ev["e2"]), a(ev["e1"]))
    assert runs == {"e1": 1, "e2": 1}
    assert handle.__name__ == a.__name__  # the bus logs the handler's own name


async def test_the_wrapper_runs_again_after_a_failed_attempt(backend: Backend) -> None:
    attempts: list[str] = []

    async def flaky(event: Event) -> None:
        attempts.append(event.id)
        if len(attempts) == 1:
            raise RuntimeError("side effect failed")

    # wait=0: a claim left behind by the failure would refuse at once, not hang the test.
    guarded = idempotent(backend.store(), "notify", wait=0, clock=backend.clock)(flaky)
    ev = _events("e1")["e1"]
    with pytest.raises(RuntimeError, match="side effect failed"):
        await guarded(ev)
    await guarded(ev)  # the bus's retry: the failed attempt gave its claim back
    await guarded(ev)  # a redelivery after success: skipped
    assert attempts == ["e1", "e1"]


async def test_a_crashed_holder_refuses_a_duplicate_until_its_lease_expires(
        backend: Backend) -> None:
    store = backend.store()
    runs: list[str] = []

    async def handle(event: Event) -> None:
        runs.append(event.id)

    refusing = idempotent(store, "notify", wait=0, clock=backend.clock)(handle)
    await store.claim("notify", ["e1"], "crashed-member", 2.0)  # 2 s to refuse on real time
    with pytest.raises(EventInProgressError):
        await refusing(_events("e1")["e1"])
    assert runs == []
    await backend.advance(2.2)
    await refusing(_events("e1")["e1"])
    assert runs == ["e1"]


async def test_a_concurrent_duplicate_waits_for_the_holder_and_then_skips(
        backend: Backend) -> None:
    started, finish = asyncio.Event(), asyncio.Event()
    runs: list[str] = []

    async def slow(event: Event) -> None:
        runs.append(event.id)
        started.set()
        await finish.wait()

    a, b = (idempotent(backend.store(), "notify", wait=LONG, clock=backend.clock)(slow)
            for _ in range(2))
    ev = _events("e1")["e1"]
    first = asyncio.create_task(a(ev))
    await started.wait()
    duplicate = asyncio.create_task(b(ev))
    await backend.advance(0.2)
    assert not duplicate.done()  # it cannot finish while the first attempt holds the claim
    finish.set()
    await first
    await _settle(backend, duplicate)  # its next poll sees the entry done
    assert runs == ["e1"]


async def test_on_a_bus_a_republished_event_runs_once_and_a_failed_one_again(
        backend: Backend) -> None:
    effects: Counter[str] = Counter()
    fail_once = {"e2"}
    returned: Counter[str] = Counter()  # deliveries whose handler returned

    async def handle(event: Event) -> None:
        if event.id in fail_once:
            fail_once.discard(event.id)
            raise RuntimeError("side effect failed")
        effects[event.id] += 1

    def counted(handler: Callable[[Event], Awaitable[None]]) -> Callable[[Event], Awaitable[None]]:
        async def deliver(event: Event) -> None:
            await handler(event)
            returned[event.id] += 1
        return deliver

    bus = registry.build("bus", "memory://", max_retries=3)
    for member in ("m1", "m2"):  # two members of one group, each with its own store
        guarded = idempotent(backend.store(), "g", wait=LONG, clock=backend.clock)(handle)
        bus.subscribe("t", "g", counted(guarded), consumer=member)
    await bus.start()
    try:
        ev = _events("e1", "e2", "e3")
        await bus.publish_many("t", [ev[i] for i in ("e1", "e2", "e1", "e3", "e2", "e1")])
        async with asyncio.timeout(60):  # a deadline against a hang, not a speed requirement
            while sum(returned.values()) < 6:
                await backend.advance(0.5)
                await asyncio.sleep(0.01)
    finally:
        await bus.stop()
    assert effects == {"e1": 1, "e2": 1, "e3": 1}
    assert returned == {"e1": 3, "e2": 2, "e3": 1}


async def test_the_batch_wrapper_hands_over_only_events_not_yet_done(backend: Backend) -> None:
    seen: list[list[str]] = []
    fail = [True]

    async def handle(events: list[Event]) -> None:
        seen.append([e.id for e in events])
        if fail[0]:
            raise RuntimeError("batch failed")

    guarded = idempotent_batch(backend.store(), "ingest", wait=0, clock=backend.clock)(handle)
    ev = _events("e1", "e2", "e3", "e4")
    with pytest.raises(RuntimeError):
        await guarded([ev["e1"], ev["e2"]])
    fail[0] = False
    await guarded([ev["e1"], ev["e2"], ev["e1"]])  # released by the failure; e1 twice runs once
    await guarded([ev["e2"], ev["e3"], ev["e4"]])  # redelivery overlapping the done ones
    await guarded([ev["e4"], ev["e1"]])  # all done: the handler is not called
    assert seen == [["e1", "e2"], ["e1", "e2"], ["e3", "e4"]]


# -- schema --------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
async def test_migrations_create_the_table_the_metadata_declares(request, tmp_path,
                                                                 dialect: str) -> None:
    source = (_sqlite(tmp_path) if dialect == "sqlite"
              else _postgres(request.getfixturevalue("postgres_url")))
    async for db in source:
        async with db.engine.connect() as conn:
            diffs = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), metadata))
            names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        assert "processed_events" in names
        assert [d for d in diffs if "processed_events" in repr(d)] == []
