"""Run history and job leases on SQL (SQLite or PostgreSQL). All jobs SQL lives here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockflow.core.ports import Database
from stockflow.jobs.domain import FAILED, JobRun
from stockflow.jobs.tables import job_locks, job_runs

_RUN_COLUMNS = (job_runs.c.id, job_runs.c.job, job_runs.c.started_at, job_runs.c.status,
                job_runs.c.instance, job_runs.c.trigger, job_runs.c.finished_at,
                job_runs.c.error, job_runs.c.stats)


def _run(row: Any) -> JobRun:
    return JobRun(id=row.id, job=row.job, started_at=row.started_at, status=row.status,
                  instance=row.instance, trigger=row.trigger, finished_at=row.finished_at,
                  error=row.error, stats=row.stats or {})


class SqlJobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_start(self, run: JobRun) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(job_runs.insert().values(
                id=run.id, job=run.job, started_at=run.started_at, status=run.status,
                instance=run.instance, trigger=run.trigger, stats=run.stats))

    async def record_finish(self, run: JobRun) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(job_runs.update().where(job_runs.c.id == run.id).values(
                finished_at=run.finished_at, status=run.status, error=run.error,
                stats=run.stats))

    async def prune(self, before: datetime) -> int:
        """Forget finished runs that started before `before`; → rows deleted."""
        async with self.db.engine.begin() as conn:
            result = await conn.execute(job_runs.delete().where(
                job_runs.c.started_at < before, job_runs.c.finished_at.is_not(None)))
        return result.rowcount or 0

    async def recent_runs(self, job: str | None = None, limit: int = 50) -> list[JobRun]:
        stmt = sa.select(*_RUN_COLUMNS).order_by(job_runs.c.started_at.desc(),
                                                 job_runs.c.id.desc()).limit(limit)
        if job is not None:
            stmt = stmt.where(job_runs.c.job == job)
        async with self.db.engine.connect() as conn:
            return [_run(r) for r in (await conn.execute(stmt)).all()]

    async def recent_failures(self, limit: int = 20) -> list[JobRun]:
        stmt = (sa.select(*_RUN_COLUMNS).where(job_runs.c.status == FAILED)
                .order_by(job_runs.c.started_at.desc()).limit(limit))
        async with self.db.engine.connect() as conn:
            return [_run(r) for r in (await conn.execute(stmt)).all()]

    async def last_runs(self) -> dict[str, JobRun]:
        """The newest run of every job that has one."""
        newest = (sa.select(job_runs.c.job, sa.func.max(job_runs.c.started_at).label("at"))
                  .group_by(job_runs.c.job).subquery())
        stmt = sa.select(*_RUN_COLUMNS).join(
            newest, sa.and_(job_runs.c.job == newest.c.job,
                            job_runs.c.started_at == newest.c.at))
        async with self.db.engine.connect() as conn:
            return {r.job: _run(r) for r in (await conn.execute(stmt)).all()}

    async def acquire(self, job: str, holder: str, now: datetime, ttl: float,
                      fire: datetime | None = None) -> bool:
        """Take (or renew) the job's lease; False while another holder's lease is unexpired,
        or, for a scheduled `fire`, when that fire time was already taken by anyone.

        One atomic statement: insert the lease, or take over a row that has expired or is ours.
        Two instances racing both reach the row lock; only one of them sees the WHERE hold.
        """
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        expires = now + timedelta(seconds=ttl)
        c = job_locks.c
        stmt = insert(job_locks).values(job=job, holder=holder, expires_at=expires,
                                        last_fire=fire)
        free = sa.or_(c.expires_at <= now, c.holder == holder)
        if fire is not None:
            free = sa.and_(free, sa.or_(c.last_fire.is_(None), c.last_fire < fire))
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.job],
            set_={"holder": holder, "expires_at": expires,
                  "last_fire": fire if fire is not None else c.last_fire},
            where=free)
        async with self.db.engine.begin() as conn:
            result = await conn.execute(stmt)
            return result.rowcount == 1

    async def release(self, job: str, holder: str, now: datetime) -> None:
        # The row stays (expired) so that it keeps the last fire time taken.
        async with self.db.engine.begin() as conn:
            await conn.execute(job_locks.update()
                               .where(job_locks.c.job == job, job_locks.c.holder == holder)
                               .values(expires_at=now))

    async def lock_holder(self, job: str, now: datetime) -> str | None:
        stmt = sa.select(job_locks.c.holder).where(job_locks.c.job == job,
                                                   job_locks.c.expires_at > now)
        async with self.db.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()
