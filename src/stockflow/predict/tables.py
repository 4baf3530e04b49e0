"""SQL tables of the predict context (on their own MetaData until they join the shared one)."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.adapters.storage.schema import UtcDateTime

metadata = sa.MetaData()

predictions = sa.Table(
    "predict_predictions",
    metadata,
    sa.Column("ticker", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("generated_at", UtcDateTime, primary_key=True),
    sa.Column("horizon", sa.SmallInteger, primary_key=True),
    sa.Column("value", sa.Float, nullable=True),       # None, never NaN: what the API serves
    sa.Column("lower", sa.Float, nullable=True),
    sa.Column("upper", sa.Float, nullable=True),
    sa.Column("model_version", sa.String(128), nullable=False),
    sa.Column("features", sa.JSON, nullable=False),
)
