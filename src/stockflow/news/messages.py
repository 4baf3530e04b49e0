"""What the news context puts on the bus and the stream channel, and back: a raw article as the
`news.article.published` payload, the sentiment and event payloads, and the stream item."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stockflow.news.domain import Article, DetectedEvent, EventType, RawArticle, VendorSentiment


def raw_to_data(raw: RawArticle, article_id: str) -> dict[str, Any]:
    return {
        "article_id": article_id, "ticker": raw.tickers[0] if raw.tickers else None,
        "source": raw.source, "url": raw.url, "title": raw.title, "body": raw.body,
        "published_at": raw.published_at.isoformat(), "language": raw.language,
        "tickers": list(raw.tickers), "event_hint": raw.event_hint.value if raw.event_hint else None,
        "filing_form": raw.filing_form, "external_id": raw.external_id,
        "vendor_sentiment": [{"source": v.source, "score": v.score, "label": v.label,
                              "ticker": v.ticker} for v in raw.vendor_sentiment],
    }


def raw_from_data(d: dict[str, Any]) -> RawArticle:
    """Raises KeyError/ValueError/TypeError on a payload that is not one raw_to_data made."""
    return RawArticle(
        source=str(d["source"]), url=str(d["url"]), title=str(d["title"]), body=str(d["body"]),
        published_at=datetime.fromisoformat(d["published_at"]), language=d.get("language"),
        tickers=tuple(str(t) for t in d.get("tickers") or ()),
        vendor_sentiment=tuple(VendorSentiment(**v) for v in d.get("vendor_sentiment") or ()),
        event_hint=EventType(d["event_hint"]) if d.get("event_hint") else None,
        filing_form=d.get("filing_form"), external_id=d.get("external_id"))


def sentiment_data(a: Article) -> dict[str, Any]:
    s = a.sentiment
    return {
        "article_id": a.id, "ticker": a.tickers[0].ticker if a.tickers else None,
        "language": a.language.value,
        "score": s.score if s else None, "label": s.label.value if s else None,
        "confidence": s.confidence if s else None, "model": s.model if s else None,
        "reason": a.sentiment_reason,
        "tickers": {t: {"score": v.score, "label": v.label.value, "confidence": v.confidence}
                    for t, v in a.ticker_sentiment.items()},
    }


def event_data(a: Article, e: DetectedEvent) -> dict[str, Any]:
    return {"article_id": a.id, "ticker": a.tickers[0].ticker if a.tickers else None,
            "tickers": [m.ticker for m in a.tickers], "event_type": e.type.value,
            "confidence": e.confidence, "evidence": e.evidence,
            "published_at": a.published_at.isoformat(), "title": a.title}


def stream_keys(item: dict[str, Any]) -> list[str]:
    """What a stream item is found by: its tickers and `event:<type>` for each of its events."""
    return [*(t["ticker"] for t in item["tickers"]),
            *(f"event:{e['type']}" for e in item.get("events") or ())]
