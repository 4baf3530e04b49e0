"""SQL schema of the users context (seed 002 §7): accounts, refresh tokens, watchlists and
portfolios. Same metadata as the market tables; migration 0003_users creates them."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, Price, UtcDateTime, metadata

# UUIDs as 36-character strings: one type on SQLite and PostgreSQL, and ids that compare as text.
Id = sa.String(36)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("full_name", sa.String(255)),
    sa.Column("tier", sa.String(16), nullable=False, server_default="free"),
    sa.Column("permissions", Json, nullable=False),  # grants beyond the tier's
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# One row per refresh token ever issued; a family is one sign-in and every rotation after it.
refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("family_id", Id, nullable=False, index=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime),
    sa.Column("revoked_at", UtcDateTime),
)

watchlists = sa.Table(
    "watchlists",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("tickers", Json, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

portfolios = sa.Table(
    "portfolios",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # ISO 4217: every figure of the portfolio is converted into it (migration u0001).
    sa.Column("base_currency", sa.String(3), nullable=False, server_default="USD"),
)

# Positions are derived from transactions (average cost), never stored apart from them, so the
# two can never disagree.
portfolio_transactions = sa.Table(
    "portfolio_transactions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("portfolio_id", Id, sa.ForeignKey("portfolios.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("ticker", sa.String(32), nullable=False),
    sa.Column("side", sa.String(4), nullable=False),
    sa.Column("quantity", Price, nullable=False),
    sa.Column("price", Price, nullable=False),
    sa.Column("fee", Price, nullable=False),
    sa.Column("executed_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
