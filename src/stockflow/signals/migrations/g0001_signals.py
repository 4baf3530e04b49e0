"""Signals: saved user strategies, announced signal state, heard sentiment.

Revision ID: g0001_signals
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import Json, UtcDateTime

revision = "g0001_signals"
down_revision = None
branch_labels = ("signals",)
depends_on = "0005_idempotency"


def upgrade() -> None:
    op.create_table(
        "signals_strategies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("document", Json, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_signals_strategies_owner_id", "signals_strategies", ["owner_id"])
    op.create_table(
        "signals_state",
        sa.Column("ticker", sa.String(32), primary_key=True),
        sa.Column("interval", sa.String(8), primary_key=True),
        sa.Column("strategy", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("bar_time", UtcDateTime, nullable=False),
    )
    op.create_table(
        "signals_sentiment",
        sa.Column("article_id", sa.String(64), primary_key=True),
        sa.Column("ticker", sa.String(32), primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("score", sa.Double, nullable=False),
        sa.Column("confidence", sa.Double, nullable=False),
    )
    op.create_index("ix_signals_sentiment_ticker_at", "signals_sentiment", ["ticker", "at"])


def downgrade() -> None:
    for name in ("signals_sentiment", "signals_state", "signals_strategies"):
        op.drop_table(name)
