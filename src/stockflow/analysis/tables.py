"""SQL tables of the analysis context: company profiles and financial statements.

On the shared metadata; the context's own migration branch (analysis/migrations/) creates them.
`financial_statements` keeps the seed's key, one row per (ticker, period end, statement type):
a fiscal year's annual statement and its Q4 end on the same day, and a restatement shares its
period, so the row's JSON holds each period kind ("quarter", "annual") and each revision.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from stockflow.core.sql import Json, UtcDateTime, metadata

companies = sa.Table(
    "companies",
    metadata,
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

financial_statements = sa.Table(
    "financial_statements",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True, default=uuid.uuid4),
    sa.Column("ticker", sa.String(32), sa.ForeignKey("companies.ticker"), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("fiscal_year", sa.Integer, nullable=False),
    sa.Column("fiscal_period", sa.String(10), nullable=False),     # Q1..Q4 or FY
    sa.Column("statement_type", sa.String(50), nullable=False),    # income, balance, cash_flow
    sa.Column("data", Json, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("ticker", "period_end", "statement_type",
                        name="uq_financial_statements_period"),
    # A B-tree on (ticker, period_end) serves the newest-first scans read backwards.
    sa.Index("ix_financial_statements_ticker_end", "ticker", "period_end"),
)
