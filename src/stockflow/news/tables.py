"""SQL tables of the news context (SQLAlchemy Core) on the shared metadata, portable between
SQLite and PostgreSQL; the context's own migrations (news/migrations/) create them."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, UtcDateTime, metadata


def _sentiment_columns() -> list[sa.Column]:
    return [sa.Column("sentiment_score", sa.Float), sa.Column("sentiment_label", sa.String(16)),
            sa.Column("sentiment_confidence", sa.Float)]


def _article_key() -> sa.Column:
    return sa.Column("article_id", sa.String(32),
                     sa.ForeignKey("news_articles.id", ondelete="CASCADE"), primary_key=True)

articles = sa.Table(
    "news_articles", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("canonical_url", sa.Text, nullable=False),
    # A fixed-size key for the unique index: a URL may exceed PostgreSQL's B-tree entry limit.
    sa.Column("canonical_key", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("published_at", UtcDateTime(), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, index=True),
    sa.Column("story_id", sa.String(32), nullable=False, index=True),
    sa.Column("duplicate_of", sa.String(32)),
    *_sentiment_columns(),
    sa.Column("sentiment_model", sa.String(64)),
    sa.Column("sentiment_version", sa.String(32)),
    sa.Column("sentiment_reason", sa.Text),
    sa.Column("filing_form", sa.String(32)),
    sa.Column("entities", Json, nullable=False),
    sa.Column("vendor_sentiment", Json, nullable=False),
    sa.Column("tokens", sa.Text, nullable=False),
    sa.Index("ix_news_articles_published", "published_at", "id"),
    sa.Index("ix_news_articles_source_published", "source", "published_at"),
)

article_tickers = sa.Table(
    "news_article_tickers", metadata,
    _article_key(),
    sa.Column("ticker", sa.String(32), primary_key=True),
    sa.Column("published_at", UtcDateTime(), nullable=False),  # copied: the per-ticker listing
    sa.Column("relevance", sa.Float, nullable=False),
    sa.Column("matched", Json, nullable=False),
    *_sentiment_columns(),
    sa.Index("ix_news_article_tickers_ticker", "ticker", "published_at"),
)

article_events = sa.Table(
    "news_article_events", metadata,
    _article_key(),
    sa.Column("event_type", sa.String(32), primary_key=True),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Index("ix_news_article_events_type", "event_type"),
)
