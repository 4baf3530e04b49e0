"""SQL tables of the alerts context (SQLAlchemy Core), portable between SQLite and PostgreSQL,
on the shared metadata; the context's own migrations (migrations/) create them."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import Json, UtcDateTime, metadata

Id = sa.String(36)
Ref = sa.String(200)   # history ids are "<alert id>:<event id>"

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("condition_type", sa.String(32), nullable=False),
    sa.Column("key", sa.String(32), nullable=False),        # ticker or exchange, for filters
    sa.Column("condition", Json, nullable=False),
    sa.Column("policy", Json, nullable=False),
    sa.Column("channel_ids", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("fired_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_fired_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_alerts_user_id", "user_id", "id"),
    sa.Index("ix_alerts_status", "status"),
)

alert_channels = sa.Table(
    "alert_channels",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("target", sa.Text, nullable=False),           # sealed (alerts/sealing.py)
    sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.String(500), nullable=False, server_default=""),
    sa.Column("secrets", Json, nullable=False),             # signing secrets, each sealed
)

alert_history = sa.Table(
    "alert_history",
    metadata,
    sa.Column("id", Ref, primary_key=True),
    sa.Column("alert_id", Id, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", Id, nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("value", sa.Double),
    sa.Column("detail", Json, nullable=False),
    sa.Column("triggered_at", UtcDateTime, nullable=False),
    # The de-duplication backstop: one row per (rule, triggering event), whatever redelivers.
    sa.UniqueConstraint("alert_id", "event_id", name="uq_alert_history_event"),
    sa.Index("ix_alert_history_alert", "alert_id", "triggered_at"),
)

alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),      # the webhook-id
    sa.Column("history_id", Ref, sa.ForeignKey("alert_history.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("alert_id", Id, nullable=False),
    sa.Column("user_id", Id, nullable=False),
    sa.Column("channel_id", Id, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime),
    sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
    sa.Column("last_status", sa.Integer),
    sa.Column("delivered_at", UtcDateTime),
    sa.Column("provider_id", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
)

# Headlines of the news context's events as the alerts worker saw them, for digests (kept
# `news_retention_days`); the event id is the key, so a redelivered event adds nothing.
alert_news = sa.Table(
    "alert_news",
    metadata,
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("ticker", sa.String(32), nullable=False),
    sa.Column("title", sa.String(500), nullable=False, server_default=""),
    sa.Column("url", sa.String(2048), nullable=False, server_default=""),
    sa.Column("sentiment", sa.Double),
    sa.Column("seen_at", UtcDateTime, nullable=False),
    sa.Index("ix_alert_news_ticker", "ticker", "seen_at"),
)

# One row per (user, period, period start): a digest job run twice sends nothing twice.
alert_digests = sa.Table(
    "alert_digests",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),    # user:period:start date
    sa.Column("user_id", Id, nullable=False),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("period_start", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=False),
    sa.Column("summary", Json, nullable=False),
    sa.Column("deliveries", Json, nullable=False),         # per channel: ok, status, error
    sa.Index("ix_alert_digests_user", "user_id", "sent_at"),
)

# SMS handed to the provider per user per UTC day, against `sms_daily_cap`: in storage, so the
# count survives restarts and every delivery worker shares it (one guarded upsert takes a slot).
alert_sms_usage = sa.Table(
    "alert_sms_usage",
    metadata,
    sa.Column("user_id", Id, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("sent", sa.Integer, nullable=False, server_default="0"),
)
