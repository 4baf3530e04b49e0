"""Pipeline: processed ticks keyed by their identity.

Revision ID: 0002_ticks
Revises: 0001_market
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import UtcDateTime

revision: str = "0002_ticks"
down_revision: str | None = "0001_market"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "ticks",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("time", UtcDateTime, nullable=False),
        sa.Column("price", sa.Double, nullable=False),
        sa.Column("size", sa.Double, nullable=False),
        sa.Column("bid", sa.Double),
        sa.Column("ask", sa.Double),
        sa.Column("vwap", sa.Double),
        sa.Column("volume", sa.Double),
        sa.PrimaryKeyConstraint("provider", "symbol", "seq", name="pk_ticks"),
    )
    op.create_index("ix_ticks_ticker_time", "ticks", ["ticker", "time"])


def downgrade() -> None:
    op.drop_index("ix_ticks_ticker_time", "ticks")
    op.drop_table("ticks")
