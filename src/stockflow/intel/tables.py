"""The intel context's table: watchlist briefs delivered (briefs themselves live in the cache,
keyed by their facts version)."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, UtcDateTime, metadata

intel_deliveries = sa.Table(
    "intel_deliveries",
    metadata,
    sa.Column("id", sa.String(160), primary_key=True),
    sa.Column("user_id", sa.String(36), nullable=False),
    sa.Column("watchlist_id", sa.String(64), nullable=False),
    sa.Column("market", sa.String(8), nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=False),
    sa.Column("reports", Json, nullable=False),
    sa.Column("deliveries", Json, nullable=False),
)
