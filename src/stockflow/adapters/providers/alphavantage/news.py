"""Alpha Vantage `NEWS_SENTIMENT` → RawArticles; its overall and per-ticker scores kept as theirs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stockflow.adapters.providers.alphavantage.parse import NAME
from stockflow.adapters.providers.alphavantage.provider import AlphaVantageProvider
from stockflow.core.resilience.errors import ProviderBadData
from stockflow.news.domain import RawArticle, VendorSentiment
from stockflow.news.vendor import as_float, items, query_params

# "20240417T134010". The docs name no zone; it is read as UTC (an assumption, see docs/news.md).
_STAMP = "%Y%m%dT%H%M%S"


def _time(value: Any) -> datetime:
    try:
        return datetime.strptime(str(value), _STAMP).replace(tzinfo=UTC)
    except ValueError:
        raise ProviderBadData(NAME, f"unreadable time_published {value!r}") from None


def _sentiment(row: dict[str, Any]) -> tuple[VendorSentiment, ...]:
    overall = VendorSentiment(NAME, as_float(row.get("overall_sentiment_score")),
                              row.get("overall_sentiment_label"))
    per_ticker = tuple(
        VendorSentiment(NAME, as_float(t.get("ticker_sentiment_score")),
                        t.get("ticker_sentiment_label"), ticker=t.get("ticker"))
        for t in row.get("ticker_sentiment") or [] if isinstance(t, dict))
    return (overall, *per_ticker)


def parse_news(body: Any) -> list[RawArticle]:
    out = []
    for row in items(NAME, body, "feed"):
        if not row.get("url") or not row.get("title"):
            continue
        tickers = tuple(t["ticker"] for t in row.get("ticker_sentiment") or []
                        if isinstance(t, dict) and t.get("ticker"))
        out.append(RawArticle(
            source=f"{row.get('source') or NAME} via {NAME}", url=row["url"],
            title=row["title"], body=row.get("summary") or "",
            published_at=_time(row.get("time_published")), tickers=tickers,
            vendor_sentiment=_sentiment(row)))
    return out


class AlphaVantageNews(AlphaVantageProvider):
    async def fetch_news(self, ticker: str | None = None, *, since: datetime | None = None,
                         until: datetime | None = None, limit: int = 50) -> list[RawArticle]:
        params = query_params(
            {"function": "NEWS_SENTIMENT", "sort": "LATEST"}, limit=limit, max_limit=1000,
            ticker=ticker, ticker_key="tickers", since=since, until=until,
            since_key="time_from", until_key="time_to", time_format="%Y%m%dT%H%M")
        return parse_news(await self.get_json("/query", params))
