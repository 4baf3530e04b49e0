"""Idempotency: processed_events, one row per (consumer, event id) with its lease and expiry.

Revision ID: 0005_idempotency
Revises: 0004_control
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import UtcDateTime

revision: str = "0005_idempotency"
down_revision: str | None = "0004_control"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Frozen copy of the table as of this revision; only the column type UtcDateTime is shared.
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(128), primary_key=True),
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("owner", sa.String(160), nullable=False),
        sa.Column("lease_until", UtcDateTime),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_processed_events_expires_at", "processed_events", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_events_expires_at", "processed_events")
    op.drop_table("processed_events")
