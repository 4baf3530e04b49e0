"""Shared pieces of the vendor news normalisers: the port and the conversion of loose vendor fields."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from stockflow.core.resilience.errors import ProviderBadData
from stockflow.news.domain import RawArticle


@runtime_checkable
class NewsSource(Protocol):
    """A vendor that lists news articles (Polygon, Alpha Vantage, Finnhub …)."""

    name: str

    async def fetch_news(self, ticker: str | None = None, *, since: datetime | None = None,
                         until: datetime | None = None, limit: int = 50) -> list[RawArticle]: ...


def as_float(value: Any) -> float | None:
    """A vendor number sent as a number or a string; None when absent or not finite."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def items(provider: str, body: Any, key: str | None) -> list[dict[str, Any]]:
    """The list of article objects in a body, or ProviderBadData naming what was wrong."""
    rows = body.get(key) if key and isinstance(body, dict) else body
    if rows is None and key and isinstance(body, dict):
        rows = []
    if not isinstance(rows, list):
        raise ProviderBadData(provider, f"news body has no list at {key or 'top level'}")
    return [r for r in rows if isinstance(r, dict)]


def iso_time(provider: str, value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise ProviderBadData(provider, f"unreadable article time {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def query_params(fixed: dict[str, Any], *, limit: int, max_limit: int, ticker: str | None,
                 ticker_key: str, since: datetime | None, until: datetime | None,
                 since_key: str, until_key: str, time_format: str) -> dict[str, Any]:
    """A vendor news query: its fixed parameters, a clamped limit, and only the filters given."""
    params: dict[str, Any] = {**fixed, "limit": min(max(limit, 1), max_limit)}
    if ticker:
        params[ticker_key] = ticker
    if since:
        params[since_key] = since.strftime(time_format)
    if until:
        params[until_key] = until.strftime(time_format)
    return params
