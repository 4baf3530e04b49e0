"""Market context: instruments, OHLCV bars, quotes.

Revision ID: 0001_market
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from stockflow.core.sql import UtcDateTime

revision: str = "0001_market"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Frozen copy of the tables as of this revision (later revisions must not change it);
# only the column *type* UtcDateTime is shared with schema.py.
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("ticker", sa.String(32), primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("asset_class", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("sector", sa.String, nullable=False, server_default=""),
        sa.Column("industry", sa.String, nullable=False, server_default=""),
        sa.Column("market_cap", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "ohlcv",
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("time", UtcDateTime, nullable=False),
        sa.Column("open", sa.Double, nullable=False),
        sa.Column("high", sa.Double, nullable=False),
        sa.Column("low", sa.Double, nullable=False),
        sa.Column("close", sa.Double, nullable=False),
        sa.Column("volume", sa.BigInteger, nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("ticker", "interval", "time"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "quotes",
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("time", UtcDateTime, nullable=False),
        sa.Column("price", sa.Double, nullable=False),
        sa.Column("bid", sa.Double, nullable=False),
        sa.Column("ask", sa.Double, nullable=False),
        sa.Column("bid_size", sa.BigInteger, nullable=False),
        sa.Column("ask_size", sa.BigInteger, nullable=False),
        sa.Column("volume", sa.BigInteger, nullable=False),
        sa.Column("open", sa.Double, nullable=False),
        sa.Column("high", sa.Double, nullable=False),
        sa.Column("low", sa.Double, nullable=False),
        sa.Column("prev_close", sa.Double, nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("ticker", "time"),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_time_layout()


def _postgres_time_layout() -> None:
    """Hypertable when TimescaleDB can be used; otherwise a BRIN on time beside the primary key."""
    bind = op.get_bind()
    installed = bind.exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").first() is not None
    available = installed or bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").first() is not None
    if available:
        # The package can be present without being preloaded, in which case CREATE EXTENSION
        # fails; the savepoint keeps the migration's transaction usable for the BRIN fallback.
        try:
            with bind.begin_nested():
                if not installed:
                    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS timescaledb")
                bind.exec_driver_sql(
                    "SELECT create_hypertable('ohlcv', 'time', "
                    "if_not_exists => TRUE, migrate_data => TRUE)")
            return
        except sa.exc.DBAPIError:
            pass
    op.create_index("ix_ohlcv_time_brin", "ohlcv", ["time"], postgresql_using="brin")


def downgrade() -> None:
    op.drop_table("quotes")
    op.drop_table("ohlcv")
    op.drop_table("instruments")
