"""Intel: watchlist briefs delivered.

Revision ID: i0001_deliveries
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import Json, UtcDateTime

revision = "i0001_deliveries"
down_revision = None
branch_labels = ("intel",)
depends_on = "0005_idempotency"


def upgrade() -> None:
    op.create_table(
        "intel_deliveries",
        sa.Column("id", sa.String(160), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("watchlist_id", sa.String(64), nullable=False),
        sa.Column("market", sa.String(8), nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=False),
        sa.Column("reports", Json, nullable=False),
        sa.Column("deliveries", Json, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("intel_deliveries")
