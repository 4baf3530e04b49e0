"""Alerts: headlines seen (for digests) and the digests sent.

Revision ID: a0002_digests
Revises: a0001_alerts
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import Json, UtcDateTime

revision = "a0002_digests"
down_revision = "a0001_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_news",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("title", sa.String(500), nullable=False, server_default=""),
        sa.Column("url", sa.String(2048), nullable=False, server_default=""),
        sa.Column("sentiment", sa.Double),
        sa.Column("seen_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_alert_news_ticker", "alert_news", ["ticker", "seen_at"])
    op.create_table(
        "alert_digests",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("period_start", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=False),
        sa.Column("summary", Json, nullable=False),
        sa.Column("deliveries", Json, nullable=False),
    )
    op.create_index("ix_alert_digests_user", "alert_digests", ["user_id", "sent_at"])


def downgrade() -> None:
    op.drop_table("alert_digests")
    op.drop_table("alert_news")
