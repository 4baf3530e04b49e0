"""The one SQL metadata every context puts its tables on, and the column types they share
(portable between SQLite and PostgreSQL). Each context's `tables.py` defines its tables; the
migrations create them.
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
