"""The market context's tables: instruments, OHLCV bars and quotes."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, Price, UtcDateTime, metadata

instruments = sa.Table(
    "instruments",
    metadata,
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

# The primary key (ticker, interval, time) is the index for per-ticker range scans; on SQLite the
# table is WITHOUT ROWID so rows are stored clustered in that order. PostgreSQL adds a BRIN on time
# for cross-ticker time scans (or becomes a TimescaleDB hypertable when the extension exists).
ohlcv = sa.Table(
    "ohlcv",
    metadata,
    sa.Column("ticker", sa.String(32), primary_key=True),
    sa.Column("interval", sa.String(8), primary_key=True),
    sa.Column("time", UtcDateTime, primary_key=True),
    sa.Column("open", Price, nullable=False),
    sa.Column("high", Price, nullable=False),
    sa.Column("low", Price, nullable=False),
    sa.Column("close", Price, nullable=False),
    sa.Column("volume", sa.BigInteger, nullable=False),
    sa.Column("provider", sa.String(64), nullable=False),
    sqlite_with_rowid=False,
)
sa.Index("ix_ohlcv_time_brin", ohlcv.c.time, postgresql_using="brin").ddl_if(dialect="postgresql")

quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("ticker", sa.String(32), primary_key=True),
    sa.Column("time", UtcDateTime, primary_key=True),
    sa.Column("price", Price, nullable=False),
    sa.Column("bid", Price, nullable=False),
    sa.Column("ask", Price, nullable=False),
    sa.Column("bid_size", sa.BigInteger, nullable=False),
    sa.Column("ask_size", sa.BigInteger, nullable=False),
    sa.Column("volume", sa.BigInteger, nullable=False),
    sa.Column("open", Price, nullable=False),
    sa.Column("high", Price, nullable=False),
    sa.Column("low", Price, nullable=False),
    sa.Column("prev_close", Price, nullable=False),
    sa.Column("provider", sa.String(64), nullable=False),
    sqlite_with_rowid=False,
)
