"""Alerts: SMS sent per user per UTC day (the daily cap).

Revision ID: a0003_sms_usage
Revises: a0002_digests
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0003_sms_usage"
down_revision = "a0002_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_sms_usage",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("sent", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("alert_sms_usage")
