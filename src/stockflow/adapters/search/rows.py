"""Rows <-> domain values for the SQL search engines, and the re-ranking of suggestions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from stockflow.search.domain import (
    DocType,
    FacetBucket,
    SearchDocument,
    SearchHit,
    SuggestEntry,
    Suggestion,
    normalise_filter,
)
from stockflow.search.text import highlight, match_quality

SEP = "\x1f"  # joins list fields in one text column; the query sanitiser strips it from input


def document_row(doc: SearchDocument) -> dict[str, Any]:
    lower = {name: (getattr(doc, name) or "").strip().lower() or None
             for name in ("sector", "industry", "exchange", "asset_class", "country", "source",
                          "lang", "sentiment")}
    return {"key": doc.key, "doc_type": doc.type.value, "doc_id": doc.id, "title": doc.title,
            "body": doc.body, "keywords": SEP.join(doc.keywords),
            "tickers": " ".join(doc.tickers), "event_types": _event_types(doc),
            **lower, "published_at": epoch(doc.published_at) if doc.published_at else None,
            "story_key": doc.story_id or doc.key, "url": doc.url,
            "boost": min(1.0, max(0.0, float(doc.boost)))}


def _event_types(doc: SearchDocument) -> str:
    """A JSON array, normalised as filters compare them: the facet unnests it in SQL (a join
    with the tag table made SQLite build a Bloom filter over every tag, 13 ms a search)."""
    kept = dict.fromkeys(normalise_filter("event_type", e) for e in doc.event_types if e.strip())
    return json.dumps(list(kept))


def row_document(row: Any) -> SearchDocument:
    published = row["published_at"]
    story = row["story_key"]
    return SearchDocument(
        type=DocType(row["doc_type"]), id=row["doc_id"], title=row["title"], body=row["body"],
        keywords=tuple(k for k in row["keywords"].split(SEP) if k),
        tickers=tuple(row["tickers"].split()), event_types=tuple(json.loads(row["event_types"] or "[]")),
        sector=row["sector"], industry=row["industry"], exchange=row["exchange"],
        asset_class=row["asset_class"], country=row["country"], source=row["source"],
        lang=row["lang"], sentiment=row["sentiment"],
        published_at=datetime.fromtimestamp(published, UTC) if published is not None else None,
        story_id=None if story == row["key"] else story, url=row["url"], boost=row["boost"])


def symbol_row(entry: SuggestEntry) -> dict[str, Any]:
    text = " ".join([entry.ticker, entry.name, *entry.aliases]).lower()
    return {"key": entry.key, "ticker": entry.ticker, "name": entry.name,
            "aliases": SEP.join(entry.aliases), "ticker_lc": entry.ticker.lower(),
            "name_lc": entry.name.lower(), "match_text": text, "exchange": entry.exchange,
            "asset_class": entry.asset_class, "popularity": float(entry.popularity)}


def hit(row: Any, score: float, terms: list[str]) -> SearchHit:
    doc = row_document(row)
    marks = {name: frag for name, text in (("title", doc.title), ("body", doc.body))
             if (frag := highlight(text, terms)) is not None}
    return SearchHit(document=doc, score=float(score), highlights=marks)


def shape_facets(rows: Sequence[Any], interval: str | None
                  ) -> tuple[dict[str, list[FacetBucket]], list[FacetBucket], int]:
    facets: dict[str, list[FacetBucket]] = {}
    histogram: list[FacetBucket] = []
    for facet, value, n, *_ in rows:
        if facet == "@histogram":
            start = value if interval == "month" else datetime.fromtimestamp(int(value), UTC)
            label = start if isinstance(start, str) else start.date().isoformat()
            histogram.append(FacetBucket(label, int(n)))
        else:
            facets.setdefault(facet, []).append(FacetBucket(str(value), int(n)))
    for buckets in facets.values():
        buckets.sort(key=lambda b: (-b.count, b.value))
    histogram.sort(key=lambda b: b.value)
    total = sum(b.count for b in facets.get("type", []))
    return facets, histogram, total


def rank_suggestions(typed: str, rows: Sequence[Any], limit: int) -> list[Suggestion]:
    scored = []
    for row in {r.key: r for r in rows}.values():
        aliases = tuple(a for a in row.aliases.split(SEP) if a)
        quality, matched = match_quality(typed, row.ticker, row.name, aliases)
        if quality > 0:
            scored.append((quality, row.popularity, row, matched))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2].ticker))
    return [Suggestion(ticker=r.ticker, name=r.name, key=r.key, score=q, matched=m,
                       exchange=r.exchange, asset_class=r.asset_class)
            for q, _, r, m in scored[:max(1, limit)]]


def epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())

