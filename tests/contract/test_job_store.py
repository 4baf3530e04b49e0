"""Job leases and run history on SQLite and PostgreSQL: what keeps two instances apart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.jobs.domain import JobRun, JobSpec
from stockflow.jobs.repository import SqlJobStore
from stockflow.jobs.service import JobService
from stockflow.testing.fakes import FakeClock

NOW = datetime(2025, 11, 21, 15, 0, tzinfo=UTC)


async def test_one_lease_among_racing_holders(database: SqlDatabase):
    store = SqlJobStore(database)
    won = await asyncio.gather(*(store.acquire("j", f"h{i}", NOW, 60) for i in range(8)))
    assert sum(won) == 1
    winner = f"h{won.index(True)}"
    assert await store.lock_holder("j", NOW) == winner
    assert await store.acquire("j", winner, NOW + timedelta(seconds=30), 60)  # renewal
    assert not await store.acquire("j", "other", NOW + timedelta(seconds=89), 60)
    assert await store.acquire("j", "other", NOW + timedelta(seconds=90), 60)  # expired
    later = NOW + timedelta(seconds=91)
    await store.release("j", winner, later)  # not the holder any more: nothing happens
    assert await store.lock_holder("j", later) == "other"
    await store.release("j", "other", later)
    assert await store.lock_holder("j", later) is None


async def test_a_scheduled_fire_is_taken_once_even_after_its_run_ended(database: SqlDatabase):
    store = SqlJobStore(database)
    fire = NOW.replace(minute=1)
    assert await store.acquire("j", "a", NOW, 60, fire)
    await store.release("j", "a", NOW)
    # b wakes late for the same fire: the lease is free, but that fire has been run.
    assert not await store.acquire("j", "b", NOW, 60, fire)
    assert await store.acquire("j", "b", NOW, 60)  # a manual run is not a fire
    await store.release("j", "b", NOW)
    assert await store.acquire("j", "b", NOW, 60, fire + timedelta(minutes=1))


async def test_run_history_round_trip(database: SqlDatabase):
    store = SqlJobStore(database)
    run = JobRun(id="r1", job="j", started_at=NOW, status="running", instance="i",
                 trigger="schedule")
    await store.record_start(run)
    run.status, run.finished_at, run.stats = "ok", NOW + timedelta(seconds=3), {"bars": 7}
    await store.record_finish(run)
    later = JobRun(id="r2", job="j", started_at=NOW + timedelta(minutes=1), status="failed",
                   instance="i", trigger="manual", error="boom")
    await store.record_start(later)
    [newest, oldest] = await store.recent_runs("j")
    assert newest.id == "r2" and oldest.to_dict() == run.to_dict()
    assert (await store.last_runs())["j"].id == "r2"


async def test_two_instances_on_one_database_run_a_job_once(database: SqlDatabase):
    clock, gate, calls = FakeClock(NOW), asyncio.Event(), []

    def build():
        async def body():
            calls.append(1)
            await gate.wait()
        return body

    spec = {"j": JobSpec("j", "* * * * *", "", build())}
    a = JobService(spec, SqlJobStore(database), clock, instance="a")
    b = JobService(spec, SqlJobStore(database), clock, instance="b")
    outcomes = await asyncio.gather(a.launch("j"), b.launch("j"), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1 and refused[0].status == 409
    gate.set()
    await asyncio.gather(*a.active.values(), *b.active.values())
    assert calls == [1]
