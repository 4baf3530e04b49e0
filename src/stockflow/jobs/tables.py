"""The scheduler's tables: job runs and the one lease per job."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, UtcDateTime, metadata

job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("job", sa.String(64), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("status", sa.String(16), nullable=False),  # running, ok, failed, skipped
    sa.Column("error", sa.Text),
    sa.Column("stats", Json, nullable=False),
    sa.Column("instance", sa.String(128), nullable=False),
    sa.Column("trigger", sa.String(16), nullable=False),  # schedule, manual, cli
)
sa.Index("ix_job_runs_job_started", job_runs.c.job, job_runs.c.started_at)
sa.Index("ix_job_runs_started", job_runs.c.started_at)

# One lease per job: whoever holds an unexpired row runs the job; the others skip.
job_locks = sa.Table(
    "job_locks",
    metadata,
    sa.Column("job", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(128), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    # The last scheduled fire time taken: an instance that wakes after the run has finished
    # must not run the same fire again.
    sa.Column("last_fire", UtcDateTime),
)
