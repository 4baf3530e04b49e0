"""Alerts: rules, channels, trigger history and the delivery outbox.

Revision ID: a0001_alerts
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import Json, UtcDateTime

revision = "a0001_alerts"
down_revision = None
branch_labels = ("alerts",)
depends_on = "0005_idempotency"

Id = sa.String(36)
Ref = sa.String(200)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", Id, primary_key=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("condition_type", sa.String(32), nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("condition", Json, nullable=False),
        sa.Column("policy", Json, nullable=False),
        sa.Column("channel_ids", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fired_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_fired_at", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_alerts_user_id", "alerts", ["user_id", "id"])
    op.create_index("ix_alerts_status", "alerts", ["status"])
    op.create_table(
        "alert_channels",
        sa.Column("id", Id, primary_key=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(2048), nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("disabled_reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("secrets", Json, nullable=False),
    )
    op.create_index("ix_alert_channels_user_id", "alert_channels", ["user_id"])
    op.create_table(
        "alert_history",
        sa.Column("id", Ref, primary_key=True),
        sa.Column("alert_id", Id, sa.ForeignKey("alerts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("value", sa.Double),
        sa.Column("detail", Json, nullable=False),
        sa.Column("triggered_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("alert_id", "event_id", name="uq_alert_history_event"),
    )
    op.create_index("ix_alert_history_alert", "alert_history", ["alert_id", "triggered_at"])
    _outbox()


def _outbox() -> None:
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("history_id", Ref, sa.ForeignKey("alert_history.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("alert_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("channel_id", Id, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UtcDateTime),
        sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
        sa.Column("last_status", sa.Integer),
        sa.Column("delivered_at", UtcDateTime),
        sa.Column("provider_id", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_alert_deliveries_history_id", "alert_deliveries", ["history_id"])
    op.create_index("ix_alert_deliveries_due", "alert_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in ("alert_deliveries", "alert_history", "alert_channels", "alerts"):
        op.drop_table(table)
