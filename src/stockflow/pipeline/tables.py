"""The pipeline context's table: processed ticks."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Price, UtcDateTime, metadata

# Processed ticks from the pipeline. The identity (provider, symbol, seq) is the primary key, so a
# redelivered batch inserts nothing twice; (ticker, time) serves per-ticker range scans.
ticks = sa.Table(
    "ticks",
    metadata,
    sa.Column("provider", sa.String(32), primary_key=True),
    sa.Column("symbol", sa.String(32), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("ticker", sa.String(32), nullable=False),
    sa.Column("time", UtcDateTime, nullable=False),
    sa.Column("price", Price, nullable=False),
    sa.Column("size", Price, nullable=False),
    sa.Column("bid", Price),
    sa.Column("ask", Price),
    sa.Column("vwap", Price),
    sa.Column("volume", Price),
)
sa.Index("ix_ticks_ticker_time", ticks.c.ticker, ticks.c.time)
