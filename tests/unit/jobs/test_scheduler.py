"""The scheduler on a fake clock: cadence, coalescing, no overlap, the lock, the run history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core.problems import Problem
from stockflow.jobs.domain import JobFailed, JobSkipped, JobSpec, next_fire, validate_cron
from stockflow.jobs.metrics import JobMetrics
from stockflow.jobs.repository import SqlJobStore
from stockflow.jobs.service import JobService, Scheduler
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import FakeClock

START = datetime(2025, 11, 21, 15, 0, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path):
    db = SqlDatabase(f"sqlite:///{tmp_path / 'jobs.db'}")
    await db.connect()
    await db.migrate()
    yield db
    await db.close()


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.running = 0
        self.max_running = 0

    def build(self):
        async def body():
            self.calls += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            try:
                if self.gate is not None:
                    await self.gate.wait()
            finally:
                self.running -= 1
            return {"calls": self.calls}
        return body


def service(db, clock, specs, instance="a", **kw) -> JobService:
    return JobService({s.name: s for s in specs}, SqlJobStore(db), clock, instance=instance, **kw)


async def runs(jobs: JobService, name: str):
    return list(reversed(await jobs.store.recent_runs(name, 100)))


def test_cron_five_fields_and_six_with_seconds_first():
    assert next_fire("*/15 * * * * *", START.replace(second=7)) == START.replace(second=15)
    assert next_fire("0 * * * *", START.replace(minute=1)) == START.replace(hour=16, minute=0)
    for bad in ("* * * *", "61 * * * *", "every minute"):
        with pytest.raises(ValueError):
            validate_cron(bad)


def test_settings_override_schedules_and_refuse_unknown_or_invalid(db):
    clock, spec = FakeClock(START), JobSpec("a", "0 * * * *", "", Counter().build())
    assert service(db, clock, [spec], schedules={"a": "*/5 * * * *"}).crons["a"] == "*/5 * * * *"
    with pytest.raises(ValueError, match="unknown"):
        service(db, clock, [spec], schedules={"nope": "* * * * *"})
    with pytest.raises(ValueError, match="invalid cron"):
        service(db, clock, [spec], schedules={"a": "* *"})
    jobs = service(db, clock, [spec], disabled={"a"})
    assert jobs.enabled == set() and jobs.describe()[0]["next_run"] is None


async def test_cadence_every_15_seconds(db):
    clock, counter = FakeClock(START), Counter()
    jobs = service(db, clock, [JobSpec("quotes", "*/15 * * * * *", "", counter.build())])
    scheduler = Scheduler(jobs, clock)
    await scheduler.start()
    try:
        await asyncio.sleep(0.05)
        assert counter.calls == 0  # 15:00:00 is the start, not a fire: the first is at :15
        for n in range(1, 5):
            clock.advance(15)
            await eventually(lambda n=n: counter.calls == n)
            await eventually(lambda: not jobs.active)
        clock.advance(14)
        await asyncio.sleep(0.05)
        assert counter.calls == 4
        history = await runs(jobs, "quotes")
        assert [r.started_at.second for r in history] == [15, 30, 45, 0]
        assert all(r.status == "ok" and r.trigger == "schedule" for r in history)
    finally:
        await scheduler.stop()


async def test_missed_runs_are_coalesced_not_stacked(db):
    clock, counter = FakeClock(START), Counter()
    jobs = service(db, clock, [JobSpec("minutely", "* * * * *", "", counter.build())])
    scheduler = Scheduler(jobs, clock)
    await scheduler.start()
    try:
        clock.advance(3 * 3600)  # the process slept through 180 fire times
        await eventually(lambda: counter.calls == 1)
        await eventually(lambda: not jobs.active)
        await asyncio.sleep(0.05)
        assert counter.calls == 1
        assert scheduler.next_runs["minutely"] == datetime(2025, 11, 21, 18, 1, tzinfo=UTC)
        clock.advance(60)
        await eventually(lambda: counter.calls == 2)
    finally:
        await scheduler.stop()


async def test_no_overlap_a_due_run_is_skipped_while_the_last_one_runs(db):
    clock, counter = FakeClock(START), Counter()
    counter.gate = asyncio.Event()
    jobs = service(db, clock, [JobSpec("slow", "* * * * *", "", counter.build())])
    scheduler = Scheduler(jobs, clock)
    await scheduler.start()
    try:
        clock.advance(60)
        await eventually(lambda: counter.calls == 1)
        for fired in (2, 3):
            clock.advance(60)
            await eventually(lambda fired=fired: scheduler.fired == fired)

        async def two_skips():
            return [r.status for r in await runs(jobs, "slow")].count("skipped") == 2
        await eventually(two_skips)
        assert counter.calls == 1 and counter.max_running == 1
        with pytest.raises(Problem) as busy:
            await jobs.launch("slow")
        assert busy.value.status == 409
        counter.gate.set()
        await eventually(lambda: not jobs.active)
        history = await runs(jobs, "slow")
        assert [r.status for r in history] == ["ok", "skipped", "skipped"]
        assert history[1].error == "previous run still running"
    finally:
        await scheduler.stop()


async def test_run_history_records_ok_failed_skipped_with_stats_and_errors(db):
    clock = FakeClock(START)

    async def fails():
        clock.advance(2)
        raise RuntimeError("provider down")

    async def nothing_to_do():
        raise JobSkipped("market closed")

    async def found_trouble():
        raise JobFailed("1 check failed", {"failed": 1})

    specs = [JobSpec("ok", "0 * * * *", "", _stats),
             JobSpec("boom", "0 * * * *", "", fails),
             JobSpec("idle", "0 * * * *", "", nothing_to_do),
             JobSpec("trouble", "0 * * * *", "", found_trouble)]
    registry = CollectorRegistry()
    jobs = service(db, clock, specs, metrics=JobMetrics(registry))
    ok = await jobs.run("ok")
    boom = await jobs.run("boom", "cli")
    idle = await jobs.run("idle")
    trouble = await jobs.run("trouble")
    assert (ok.status, ok.stats) == ("ok", {"rows": 3})
    assert (boom.status, boom.error, boom.trigger) == ("failed", "RuntimeError: provider down",
                                                       "cli")
    assert boom.to_dict()["duration_seconds"] == 2.0
    assert (idle.status, idle.error) == ("skipped", "market closed")
    assert (trouble.status, trouble.stats) == ("failed", {"failed": 1})
    stored = {r.job: r for r in await jobs.store.recent_runs()}
    assert stored["boom"].to_dict() == boom.to_dict()
    assert set(await jobs.store.last_runs()) == {"ok", "boom", "idle", "trouble"}
    assert [r.job for r in await jobs.store.recent_failures()] == ["trouble", "boom"]
    assert await jobs.store.lock_holder("ok", clock.now()) is None  # released after each run
    sample = registry.get_sample_value
    assert sample("stockflow_job_runs_total", {"job": "boom", "status": "failed"}) == 1
    assert sample("stockflow_job_runs_total", {"job": "idle", "status": "skipped"}) == 1
    assert sample("stockflow_job_last_duration_seconds", {"job": "boom"}) == 2.0
    assert sample("stockflow_job_last_success_timestamp_seconds", {"job": "ok"}) == \
        ok.finished_at.timestamp()
    assert sample("stockflow_job_last_success_timestamp_seconds", {"job": "boom"}) is None


async def _stats():
    return {"rows": 3}


async def test_two_instances_never_run_one_job_at_once(db):
    clock = FakeClock(START)
    a_counter, b_counter = Counter(), Counter()
    a_counter.gate = b_counter.gate = asyncio.Event()
    a = service(db, clock, [JobSpec("j", "* * * * *", "", a_counter.build())], instance="a")
    b = service(db, clock, [JobSpec("j", "* * * * *", "", b_counter.build())], instance="b")
    sa, sb = Scheduler(a, clock), Scheduler(b, clock)
    await sa.start()
    await sb.start()
    try:
        clock.advance(60)
        await eventually(lambda: a_counter.calls + b_counter.calls == 1)
        await eventually(lambda: sa.fired == 1 and sb.fired == 1)
        await asyncio.sleep(0.05)
        assert a_counter.calls + b_counter.calls == 1  # the other one saw the lease and left it
        a_counter.gate.set()
        await eventually(lambda: not a.active and not b.active)
        for fired in (2, 3, 4):
            clock.advance(60)
            await eventually(lambda fired=fired: sa.fired == sb.fired == fired
                        and a_counter.calls + b_counter.calls == fired)
            await eventually(lambda: not a.active and not b.active)
        assert a_counter.calls + b_counter.calls == 4
        assert len(await runs(a, "j")) == 4  # one history, written by whichever ran
    finally:
        await sa.stop()
        await sb.stop()


async def test_lease_of_a_dead_instance_expires(db):
    clock = FakeClock(START)
    store = SqlJobStore(db)
    assert await store.acquire("j", "dead", clock.now(), ttl=300)
    jobs = service(db, clock, [JobSpec("j", "0 * * * *", "", _stats)], instance="b",
                   lock_ttl=300)
    with pytest.raises(Problem, match="dead"):
        await jobs.launch("j")
    clock.advance(301)
    assert (await jobs.run("j")).status == "ok"


async def test_two_launches_in_one_instance_run_the_job_once(db):
    clock, counter = FakeClock(START), Counter()
    counter.gate = asyncio.Event()
    jobs = service(db, clock, [JobSpec("j", "* * * * *", "", counter.build())])
    first, second = await asyncio.gather(jobs.launch("j"), jobs.launch("j"),
                                         return_exceptions=True)
    outcomes = sorted(type(x).__name__ for x in (first, second))
    assert outcomes == ["JobRun", "Problem"]
    await eventually(lambda: counter.calls == 1)
    counter.gate.set()
    await eventually(lambda: not jobs.active)
    assert counter.max_running == 1
    assert [r.status for r in await runs(jobs, "j")] == ["ok"]


async def test_a_failing_lease_renewal_neither_wedges_the_job_nor_hides_its_run(db):
    clock, counter = FakeClock(START), Counter()
    counter.gate = asyncio.Event()
    jobs = service(db, clock, [JobSpec("j", "* * * * *", "", counter.build())], lock_ttl=30)
    real_acquire = jobs.store.acquire
    await jobs.launch("j")
    await eventually(lambda: counter.calls == 1)
    await asyncio.sleep(0.01)  # the renewal loop is asleep on the clock now

    async def broken(*args, **kwargs):
        raise ConnectionError("database went away")

    jobs.store.acquire = broken
    clock.advance(11)  # a third of the lease: the renewal fails
    await asyncio.sleep(0.05)
    jobs.store.acquire = real_acquire
    counter.gate.set()
    await eventually(lambda: not jobs.active)
    assert [r.status for r in await runs(jobs, "j")] == ["ok"]
    counter.gate = None
    assert (await jobs.run("j")).status == "ok"  # not "already running" forever


async def test_old_finished_runs_are_pruned(db):
    clock, counter = FakeClock(START), Counter()
    jobs = service(db, clock, [JobSpec("j", "* * * * *", "", counter.build())], history_days=1)
    await jobs.run("j")
    clock.advance(2 * 86_400)
    jobs._until_prune = 0  # the next finish prunes
    await jobs.run("j")
    history = await runs(jobs, "j")
    assert len(history) == 1 and history[0].started_at == clock.now()
