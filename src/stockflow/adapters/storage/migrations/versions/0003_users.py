"""Users: accounts, refresh tokens, watchlists, portfolios and their transactions.

Revision ID: 0003_users
Revises: 0002_ticks
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from stockflow.core.sql import UtcDateTime

revision: str = "0003_users"
down_revision: str | None = "0002_ticks"
branch_labels: str | None = None
depends_on: str | None = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _owner(table: str) -> sa.Column:
    return sa.Column("user_id", sa.String(36),
                     sa.ForeignKey("users.id", ondelete="CASCADE", name=f"fk_{table}_user"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(255)),
        sa.Column("tier", sa.String(16), nullable=False, server_default="free"),
        sa.Column("permissions", Json, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("family_id", sa.String(36), nullable=False),
        _owner("refresh_tokens"),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_at", UtcDateTime),
        sa.Column("revoked_at", UtcDateTime),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"])
    op.create_table(
        "watchlists",
        sa.Column("id", sa.String(36), primary_key=True),
        _owner("watchlists"),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("tickers", Json, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_watchlists_user_id", "watchlists", ["user_id"])
    op.create_table(
        "portfolios",
        sa.Column("id", sa.String(36), primary_key=True),
        _owner("portfolios"),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_portfolios_user_id", "portfolios", ["user_id"])
    op.create_table(
        "portfolio_transactions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("portfolio_id", sa.String(36),
                  sa.ForeignKey("portfolios.id", ondelete="CASCADE",
                                name="fk_portfolio_transactions_portfolio"),
                  nullable=False),
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", sa.Double, nullable=False),
        sa.Column("price", sa.Double, nullable=False),
        sa.Column("fee", sa.Double, nullable=False),
        sa.Column("executed_at", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_portfolio_transactions_portfolio_id", "portfolio_transactions",
                    ["portfolio_id"])


def downgrade() -> None:
    op.drop_table("portfolio_transactions")
    op.drop_table("portfolios")
    op.drop_table("watchlists")
    op.drop_table("refresh_tokens")
    op.drop_table("users")
