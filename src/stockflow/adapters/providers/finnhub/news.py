"""Finnhub `GET /company-news?symbol=&from=&to=` → RawArticles. The key travels as a header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stockflow.adapters.providers import values
from stockflow.adapters.providers.http import HttpProvider
from stockflow.news.domain import RawArticle
from stockflow.news.vendor import as_float, items

NAME = "finnhub"
_DEFAULT_DAYS = 7  # company-news requires a date range; a week when none is given


def parse_news(body: Any, ticker: str | None = None) -> list[RawArticle]:
    out = []
    for row in items(NAME, body, None):
        stamp = as_float(row.get("datetime"))
        if not row.get("url") or not row.get("headline") or stamp is None:
            continue
        related = [t.strip() for t in str(row.get("related") or "").split(",") if t.strip()]
        out.append(RawArticle(
            source=f"{row.get('source') or NAME} via {NAME}", url=row["url"],
            title=row["headline"], body=row.get("summary") or "",
            published_at=values.from_seconds(stamp),
            tickers=tuple(related or ([ticker] if ticker else [])),
            external_id=str(row["id"]) if row.get("id") is not None else None))
    return out


class FinnhubNews(HttpProvider):
    name = NAME
    default_base_url = "https://finnhub.io/api/v1"

    def auth_headers(self) -> dict[str, str]:
        key = self.secret()
        return {"X-Finnhub-Token": key} if key else {}

    async def fetch_news(self, ticker: str | None = None, *, since: datetime | None = None,
                         until: datetime | None = None, limit: int = 50) -> list[RawArticle]:
        if not ticker:
            raise ValueError("Finnhub company-news needs a ticker")
        end = until or datetime.now(UTC)
        start = since or end - timedelta(days=_DEFAULT_DAYS)
        body = await self.get_json("/company-news", {
            "symbol": ticker, "from": start.date().isoformat(), "to": end.date().isoformat()})
        return parse_news(body, ticker)[:limit]
