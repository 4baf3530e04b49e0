"""SQL schema of the market context, portable between SQLite and PostgreSQL.

Migrations in `migrations/versions/` create the tables; queries are built from this module.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def to_epoch_micros(value: datetime) -> int:
    """Aware datetime → integer microseconds since the Unix epoch (naive taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MICRO


def from_epoch_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC instant, microsecond precision, on every dialect.

    PostgreSQL: TIMESTAMPTZ. SQLite has no time type, so the value is an INTEGER of microseconds
    since the epoch: exact, compact, and ordered like the instants, so `time >= ?` range scans use
    the primary-key index (ISO text would also sort, but only while every writer uses one format).
    Naive datetimes are taken as UTC; an int is taken as epoch microseconds, the stored form on
    SQLite, so bulk writers holding that form need no datetime per value. Reads always return
    aware UTC datetimes.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if type(value) is int:
            return value if dialect.name == "sqlite" else from_epoch_micros(value)
        if dialect.name == "sqlite":
            return to_epoch_micros(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.driver == "asyncpg":
            return None  # asyncpg decodes TIMESTAMPTZ to aware UTC itself; skip a per-row call
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_epoch_micros(value)
        # asyncpg already returns aware UTC; normalise anything else (e.g. a session time zone).
        return value if value.tzinfo is UTC else value.astimezone(UTC)


# Prices are binary floats (DOUBLE PRECISION), not NUMERIC: the domain computes in float anyway,
# 8 bytes per value keeps OHLCV rows small, COPY/executemany skip Decimal conversion, and reads
# hand back Python floats with no per-value Decimal→float cost on the hot read_bars path.
Price = sa.Double
Json = sa.JSON().with_variant(JSONB(), "postgresql")

metadata = sa.MetaData()

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
