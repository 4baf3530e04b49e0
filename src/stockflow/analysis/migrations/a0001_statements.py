"""Analysis: company profiles and financial statements (one row per ticker, period end and
statement type; the JSON holds each period kind and revision).

Revision ID: a0001_statements
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import Json, UtcDateTime

revision = "a0001_statements"
down_revision = None
branch_labels = ("analysis",)
depends_on = "0005_idempotency"


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("ticker", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("cik", sa.String(10)),
        sa.Column("exchange", sa.String(32)),
        sa.Column("currency", sa.String(8)),
        sa.Column("country", sa.String(64)),
        sa.Column("sector", sa.String(100)),
        sa.Column("industry", sa.String(100)),
        sa.Column("description", sa.Text),
        sa.Column("website", sa.String(255)),
        sa.Column("employees", sa.Integer),
        sa.Column("fiscal_year_end", sa.String(16)),
        sa.Column("shares_outstanding", sa.BigInteger),
        sa.Column("market_cap", sa.Double),
        sa.Column("beta", sa.Double),
        sa.Column("dividend_per_share", sa.Double),
        sa.Column("source", sa.String(32), nullable=False, server_default=""),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "financial_statements",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("ticker", sa.String(32), sa.ForeignKey("companies.ticker"), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("fiscal_period", sa.String(10), nullable=False),
        sa.Column("statement_type", sa.String(50), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("ticker", "period_end", "statement_type",
                            name="uq_financial_statements_period"),
    )
    op.create_index("ix_financial_statements_ticker_end", "financial_statements",
                    ["ticker", "period_end"])


def downgrade() -> None:
    op.drop_table("financial_statements")
    op.drop_table("companies")
