"""News: articles with their tickers and events.

Revision ID: n0001_articles
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import Json, UtcDateTime

revision = "n0001_articles"
down_revision = None
branch_labels = ("news",)
depends_on = "0005_idempotency"


def _sentiment() -> list[sa.Column]:
    return [sa.Column("sentiment_score", sa.Float), sa.Column("sentiment_label", sa.String(16)),
            sa.Column("sentiment_confidence", sa.Float)]


def _article_key() -> sa.Column:
    return sa.Column("article_id", sa.String(32),
                     sa.ForeignKey("news_articles.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    # Frozen copies of the tables as of this revision; only the column types are shared.
    op.create_table(
        "news_articles",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("canonical_url", sa.Text, nullable=False),
        sa.Column("canonical_key", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("story_id", sa.String(32), nullable=False),
        sa.Column("duplicate_of", sa.String(32)),
        *_sentiment(),
        sa.Column("sentiment_model", sa.String(64)),
        sa.Column("sentiment_version", sa.String(32)),
        sa.Column("sentiment_reason", sa.Text),
        sa.Column("filing_form", sa.String(32)),
        sa.Column("entities", Json, nullable=False),
        sa.Column("vendor_sentiment", Json, nullable=False),
        sa.Column("tokens", sa.Text, nullable=False),
    )
    op.create_index("ix_news_articles_content_hash", "news_articles", ["content_hash"])
    op.create_index("ix_news_articles_story_id", "news_articles", ["story_id"])
    op.create_index("ix_news_articles_published", "news_articles", ["published_at", "id"])
    op.create_index("ix_news_articles_source_published", "news_articles",
                    ["source", "published_at"])
    op.create_table(
        "news_article_tickers",
        _article_key(),
        sa.Column("ticker", sa.String(32), primary_key=True),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.Column("relevance", sa.Float, nullable=False),
        sa.Column("matched", Json, nullable=False),
        *_sentiment(),
    )
    op.create_index("ix_news_article_tickers_ticker", "news_article_tickers",
                    ["ticker", "published_at"])
    op.create_table(
        "news_article_events",
        _article_key(),
        sa.Column("event_type", sa.String(32), primary_key=True),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
    )
    op.create_index("ix_news_article_events_type", "news_article_events", ["event_type"])


def downgrade() -> None:
    op.drop_table("news_article_events")
    op.drop_table("news_article_tickers")
    op.drop_table("news_articles")
