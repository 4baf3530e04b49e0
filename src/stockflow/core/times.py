"""Caller instants made safe for arithmetic: every instant the platform stores or computes with
lies in [MIN_INSTANT, MAX_INSTANT), so adding a window or a day to one can never overflow.

ISO 8601 admits instants whose UTC equivalent Python cannot represent
(`0001-01-01T00:00:00+01:00` is 31 December of year 0 in UTC); converting one raises
OverflowError, which used to surface as a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime

from stockflow.core.problems import invalid

MIN_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(2200, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime | None:
    """Aware UTC (naive taken as UTC); None for an instant beyond datetime's range."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def clamp_utc(value: datetime) -> datetime:
    """A query bound in UTC, clamped to the platform's range: nothing is stored outside it, so a
    clamped bound selects exactly what the caller's bound would."""
    at = _utc(value)
    if at is None:
        return MIN_INSTANT if value.year < 5000 else MAX_INSTANT
    return min(max(at, MIN_INSTANT), MAX_INSTANT)


def bounded_utc(value: datetime, field: str) -> datetime:
    """A caller instant that will be stored, in UTC; a 422 problem outside the platform's range."""
    at = _utc(value)
    if at is None or not MIN_INSTANT <= at < MAX_INSTANT:
        raise invalid(f"{field} must be between {MIN_INSTANT.date()} and {MAX_INSTANT.date()} "
                      f"(UTC), got {value.isoformat()}")
    return at
