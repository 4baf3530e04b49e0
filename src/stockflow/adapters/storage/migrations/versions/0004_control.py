"""Operations: shared settings (maintenance), job runs and locks, diagnostic snapshots.

Revision ID: 0004_control
Revises: 0002_ticks
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from stockflow.core.sql import UtcDateTime

revision: str = "0004_control"
down_revision: str | None = "0003_users"
branch_labels: str | None = None
depends_on: str | None = None

# Frozen copy of the tables as of this revision; only the column type UtcDateTime is shared.
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "settings_kv",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", Json, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("stats", Json, nullable=False),
        sa.Column("instance", sa.String(128), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
    )
    op.create_index("ix_job_runs_job_started", "job_runs", ["job", "started_at"])
    op.create_index("ix_job_runs_started", "job_runs", ["started_at"])
    op.create_table(
        "job_locks",
        sa.Column("job", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("last_fire", UtcDateTime),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("time", UtcDateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("data", Json, nullable=False),
    )
    op.create_index("ix_snapshots_time", "snapshots", ["time"])


def downgrade() -> None:
    op.drop_index("ix_snapshots_time", "snapshots")
    op.drop_table("snapshots")
    op.drop_table("job_locks")
    op.drop_index("ix_job_runs_started", "job_runs")
    op.drop_index("ix_job_runs_job_started", "job_runs")
    op.drop_table("job_runs")
    op.drop_table("settings_kv")
