"""The scheduler (seed 000's CronJob orchestrator): every context's jobs, each under its lock
with history; `stockflow job run NAME` runs one once."""

from __future__ import annotations

from typing import Any

from stockflow.core.health import DISABLED, DOWN, OK
from stockflow.core.module import (
    ADMIN_SERVICE,
    ContextModule,
    ContextParts,
    Plan,
    Platform,
    Registry,
)
from stockflow.jobs.config import JobsSettings


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.jobs.metrics import JobMetrics
    from stockflow.jobs.ports import JobHistory
    from stockflow.jobs.repository import SqlJobStore
    from stockflow.jobs.service import JobService, Scheduler

    js = p.settings.jobs
    store = SqlJobStore(p.db)
    jobs = JobService({}, store, p.clock, instance=p.instance, schedules=js.schedules, disabled=set(js.disabled),
                      lock_ttl=js.lock_ttl_seconds, metrics=JobMetrics(p.metrics.registry),
                      history_days=js.history_days)
    scheduler = Scheduler(jobs, p.clock)

    def take_table(registry: Registry) -> None:
        jobs.load(registry.jobs)

    async def scheduler_health() -> tuple[str, Any]:
        if not plan.scheduler:
            return DISABLED, None
        return (OK if scheduler.running else DOWN), {
            "next_runs": {n: t.isoformat() for n, t in scheduler.next_runs.items()}}

    parts = ContextParts(
        "jobs",
        ports={JobService: jobs, Scheduler: scheduler, JobHistory: store},
        health={"scheduler": scheduler_health},
        background=[scheduler] if plan.scheduler else [],
        on_built=[take_table], on_stop=[jobs.stop])
    if plan.serves(ADMIN_SERVICE):
        from stockflow.jobs.api import router

        parts.admin_routers.append(router)
    return parts


MODULE = ContextModule(
    name="jobs",
    build=build,
    settings={"jobs": JobsSettings},
    tables="stockflow.jobs.tables",
)
