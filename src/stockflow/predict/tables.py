"""SQL tables of the predict context, on the shared metadata; its own migrations create them."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, UtcDateTime, metadata

predictions = sa.Table(
    "predict_predictions",
    metadata,
    sa.Column("ticker", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("generated_at", UtcDateTime, primary_key=True),
    sa.Column("horizon", sa.SmallInteger, primary_key=True),
    sa.Column("value", sa.Double, nullable=True),       # None, never NaN: what the API serves
    sa.Column("lower", sa.Double, nullable=True),
    sa.Column("upper", sa.Double, nullable=True),
    sa.Column("model_version", sa.String(128), nullable=False),
    sa.Column("features", Json, nullable=False),
)
