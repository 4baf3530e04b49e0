"""The controller's tables: shared operational settings (maintenance) and snapshots."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, UtcDateTime, metadata

# Small operational state shared by every instance (e.g. "maintenance"), one JSON value per key.
settings_kv = sa.Table(
    "settings_kv",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", Json, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("time", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("data", Json, nullable=False),
)
sa.Index("ix_snapshots_time", snapshots.c.time)
