"""Polygon `GET /v2/reference/news` → RawArticles, with Polygon's own insights kept as theirs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stockflow.adapters.providers.polygon.parse import NAME
from stockflow.adapters.providers.polygon.provider import PolygonProvider
from stockflow.news.domain import RawArticle, VendorSentiment
from stockflow.news.vendor import iso_time, items, query_params

# Polygon's insight labels mapped onto a score so they can sit beside ours (label kept as sent).
_INSIGHT_SCORE = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}


def parse_news(body: Any) -> list[RawArticle]:
    out = []
    for row in items(NAME, body, "results"):
        if not row.get("article_url") or not row.get("title"):
            continue
        insights = tuple(
            VendorSentiment(source=NAME, score=_INSIGHT_SCORE.get(str(i.get("sentiment"))),
                            label=i.get("sentiment"), ticker=i.get("ticker"))
            for i in row.get("insights") or [] if isinstance(i, dict))
        publisher = (row.get("publisher") or {}).get("name") or NAME
        out.append(RawArticle(
            source=f"{publisher} via {NAME}", url=row["article_url"], title=row["title"],
            body=row.get("description") or "", published_at=iso_time(NAME, row["published_utc"]),
            tickers=tuple(row.get("tickers") or ()), vendor_sentiment=insights,
            external_id=row.get("id")))
    return out


class PolygonNews(PolygonProvider):
    """The news endpoint on the Polygon client (same key handling and error mapping)."""

    async def fetch_news(self, ticker: str | None = None, *, since: datetime | None = None,
                         until: datetime | None = None, limit: int = 50) -> list[RawArticle]:
        params = query_params(
            {"order": "desc", "sort": "published_utc"}, limit=limit, max_limit=1000,
            ticker=ticker, ticker_key="ticker", since=since, until=until,
            since_key="published_utc.gte", until_key="published_utc.lt",
            time_format="%Y-%m-%dT%H:%M:%SZ")
        return parse_news(await self.get_json("/v2/reference/news", params))
