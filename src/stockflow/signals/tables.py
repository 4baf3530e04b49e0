"""The signal engine's tables, on the shared metadata; its own migrations (migrations/) create
them: saved user strategies, the last announced signal per ticker and strategy, the news
sentiment it has heard of, and the users whose watchlists the pre-market scan reads."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, UtcDateTime, metadata

strategies = sa.Table(
    "signals_strategies",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("owner_id", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("document", Json, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

state = sa.Table(
    "signals_state",
    metadata,
    sa.Column("ticker", sa.String(32), primary_key=True),
    sa.Column("interval", sa.String(8), primary_key=True),
    sa.Column("strategy", sa.String(64), primary_key=True),
    sa.Column("action", sa.String(8), nullable=False),
    sa.Column("bar_time", UtcDateTime, nullable=False),
)

sentiment = sa.Table(
    "signals_sentiment",
    metadata,
    sa.Column("article_id", sa.String(64), primary_key=True),
    sa.Column("ticker", sa.String(32), primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("confidence", sa.Double, nullable=False),
    sa.Index("ix_signals_sentiment_ticker_at", "ticker", "at"),
)

