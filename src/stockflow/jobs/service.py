"""Running jobs: one run at a time per job across every instance, each run recorded."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from stockflow.core.lifecycle import cancel_and_wait, instance_id
from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock
from stockflow.core.problems import Problem, not_found
from stockflow.jobs.domain import (
    FAILED,
    OK,
    RUNNING,
    SKIPPED,
    JobFailed,
    JobFn,
    JobRun,
    JobSkipped,
    JobSpec,
    next_fire,
    validate_cron,
)
from stockflow.jobs.metrics import JobMetrics
from stockflow.jobs.repository import SqlJobStore

log = get_logger(__name__)




PRUNE_EVERY = 500


def job_busy(name: str, holder: str | None) -> Problem:
    return Problem(409, "Conflict", f"job {name!r} is already running"
                   + (f" on {holder}" if holder else ""))


class JobService:
    """The job table bound to this process: schedules, manual runs, history."""

    def __init__(self, specs: Mapping[str, JobSpec], store: SqlJobStore, clock: Clock, *,
                 schedules: Mapping[str, str] | None = None, disabled: set[str] | None = None,
                 lock_ttl: float = 300.0, instance: str | None = None,
                 metrics: JobMetrics | None = None, history_days: float = 14.0) -> None:
        self.store = store
        self.clock = clock
        self.lock_ttl = lock_ttl
        self.metrics = metrics
        self.instance = instance or instance_id()
        self._schedules = dict(schedules or {})
        self._disabled = set(disabled or ())
        self.active: dict[str, asyncio.Task[JobRun]] = {}
        # Jobs between the busy check and their task: reserved before the first await, so two
        # launches in this process (the scheduler and a manual run) can never both pass.
        self._starting: set[str] = set()
        self.history = timedelta(days=history_days)
        self._until_prune = 0  # prune at the first finish, then every PRUNE_EVERY finishes
        self.load(specs)

    def load(self, specs: Mapping[str, JobSpec]) -> None:
        """Take the job table (every context's jobs, collected once all are built); settings
        may only name jobs that exist."""
        self.specs = dict(specs)
        unknown = set(self._schedules) - set(self.specs)
        if unknown and self.specs:
            raise ValueError(f"schedules for unknown jobs: {sorted(unknown)}")
        self.crons = {name: validate_cron(self._schedules.get(name, spec.cron))
                      for name, spec in self.specs.items()}
        self.enabled = {name for name, spec in self.specs.items()
                        if spec.enabled and name not in self._disabled}

    def spec(self, name: str) -> JobSpec:
        if name not in self.specs:
            raise not_found("job", name)
        return self.specs[name]

    def describe(self, now: datetime | None = None) -> list[dict[str, Any]]:
        now = now or self.clock.now()
        return [{"name": name, "cron": self.crons[name], "description": spec.description,
                 "enabled": name in self.enabled, "running": name in self.active,
                 "next_run": next_fire(self.crons[name], now).isoformat()
                 if name in self.enabled else None}
                for name, spec in sorted(self.specs.items())]

    def _fn(self, name: str) -> JobFn:
        return self.spec(name).run

    async def launch(self, name: str, trigger: str = "manual",
                     fire: datetime | None = None) -> JobRun:
        """Take the lock, record the start and run the job in the background.

        Raises 409 when the job is running here or on another instance, or when the scheduled
        `fire` time has already been run by another instance."""
        fn = self._fn(name)
        if name in self.active or name in self._starting:
            raise job_busy(name, self.instance)
        self._starting.add(name)
        try:
            now = self.clock.now()
            if not await self.store.acquire(name, self.instance, now, self.lock_ttl, fire):
                raise job_busy(name, await self.store.lock_holder(name, now))
            run = JobRun(id=uuid.uuid4().hex, job=name, started_at=now, status=RUNNING,
                         instance=self.instance, trigger=trigger)
            try:
                await self.store.record_start(run)
            except BaseException:
                await self.store.release(name, self.instance, self.clock.now())
                raise
            self.active[name] = asyncio.create_task(self._execute(run, fn), name=f"job:{name}")
        finally:
            self._starting.discard(name)
        return run

    async def run(self, name: str, trigger: str = "manual") -> JobRun:
        """Run the job now and wait for it (what `stockflow job run NAME` does)."""
        await self.launch(name, trigger)
        return await self.active[name]

    async def _execute(self, run: JobRun, fn: JobFn) -> JobRun:
        renew = asyncio.create_task(self._keep_lease(run.job))
        try:
            stats = await fn()
            run.status, run.stats = OK, dict(stats or {})
        except JobSkipped as e:
            run.status, run.error = SKIPPED, str(e) or None
        except JobFailed as e:
            run.status, run.error, run.stats = FAILED, str(e), e.stats
        except asyncio.CancelledError:
            run.status, run.error = FAILED, "cancelled (the instance stopped)"
            raise
        except Exception as e:  # a job's failure is recorded, the scheduler goes on
            run.status, run.error = FAILED, f"{type(e).__name__}: {e}"
            log.exception("job failed", job=run.job, run=run.id)
        finally:
            renew.cancel()
            # Whatever the renewal loop ended with, the run is still recorded and released.
            await asyncio.gather(renew, return_exceptions=True)
            run.finished_at = self.clock.now()
            # Recorded even when cancelled: shielded, so the history never keeps a "running" ghost.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._finish(run))
            self.active.pop(run.job, None)
        return run

    async def _finish(self, run: JobRun) -> None:
        if self.metrics is not None:
            self.metrics.finished(run)
        await self.store.record_finish(run)
        await self.store.release(run.job, self.instance, self.clock.now())
        self._until_prune -= 1
        if self._until_prune <= 0:
            # A 15-second job writes ~5,800 runs a day: the history keeps `history_days`.
            self._until_prune = PRUNE_EVERY
            await self.store.prune(self.clock.now() - self.history)

    async def _keep_lease(self, name: str) -> None:
        # A job may outlive its lease; renewing at a third of it keeps other instances out.
        while True:
            await self.clock.sleep(self.lock_ttl / 3)
            try:
                held = await self.store.acquire(name, self.instance, self.clock.now(),
                                                self.lock_ttl)
            except Exception as e:  # noqa: BLE001 - a blip: try again at the next third
                log.warning("job lease renewal failed", job=name, error=repr(e))
                continue
            if not held:
                log.warning("job lease lost to another instance", job=name)

    async def record_skip(self, name: str, reason: str, trigger: str) -> JobRun:
        now = self.clock.now()
        run = JobRun(id=uuid.uuid4().hex, job=name, started_at=now, finished_at=now,
                     status=SKIPPED, error=reason, instance=self.instance, trigger=trigger)
        await self.store.record_start(run)
        await self.store.record_finish(run)
        if self.metrics is not None:
            self.metrics.finished(run)
        return run

    async def stop(self) -> None:
        for task in list(self.active.values()):
            task.cancel()
        await asyncio.gather(*self.active.values(), return_exceptions=True)


class Scheduler:
    """Fires every enabled job on its cron, from the clock.

    The next fire is computed from the time the loop wakes, so a run missed while the process
    slept or was down is not stacked: however late, a job fires once and goes back on schedule.
    A job still running when it is due again is skipped (and the skip recorded); a job running on
    another instance is left to it.
    """

    name = "scheduler"

    def __init__(self, jobs: JobService, clock: Clock, *, max_sleep: float = 60.0) -> None:
        self.jobs = jobs
        self.clock = clock
        # Wake at least this often, so a wall-clock jump cannot make the loop oversleep.
        self.max_sleep = max_sleep
        self._task: asyncio.Task[None] | None = None
        self.next_runs: dict[str, datetime] = {}
        self.fired = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        now = self.clock.now()
        self.next_runs = {n: next_fire(self.jobs.crons[n], now) for n in sorted(self.jobs.enabled)}
        self._task = asyncio.create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self.jobs.stop()

    async def _loop(self) -> None:
        while True:
            now = self.clock.now()
            for name, due in list(self.next_runs.items()):
                if due <= now:
                    self.next_runs[name] = next_fire(self.jobs.crons[name], now)
                    await self._fire(name, due)
            if not self.next_runs:
                return
            wake = min(self.next_runs.values())
            pause = (wake - self.clock.now()).total_seconds()
            await self.clock.sleep(min(max(pause, 0.0), self.max_sleep))

    async def _fire(self, name: str, due: datetime) -> None:
        self.fired += 1
        try:
            if name in self.jobs.active:
                await self.jobs.record_skip(name, "previous run still running", "schedule")
                return
            await self.jobs.launch(name, "schedule", fire=due)
        except Problem:
            log.info("job runs on another instance", job=name)
        except Exception:  # storage trouble must not stop the other jobs
            log.exception("could not start job", job=name)
