"""A Tantivy search's page (exact top hits, one a story, after a cursor) and its facets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import tantivy
from tantivy import Query

from stockflow.adapters.search.rows import hit
from stockflow.adapters.search.sqlparts import decode_score_cursor
from stockflow.adapters.search.tantivy_documents import stored_row
from stockflow.core.pagination import encode_cursor
from stockflow.search.domain import FacetBucket, HistogramInterval, SearchHit, SearchRequest

# Facet -> the field counted. Sizes above any field's distinct values keep every count exact.
_TERMS = {"type": "doc_type", "sector": "sector", "exchange": "exchange", "source": "source",
          "lang": "lang", "sentiment": "sentiment", "event_type": "event_types"}
_TERMS_SIZE = 10_000
# The first fetch of candidates: enough for a page of 20 with a few stories collapsed.
_FIRST_FETCH = 64
_EPOCH = date(1970, 1, 1)


@dataclass
class Page:
    hits: list[SearchHit]
    next_cursor: str | None


def aggregations(request: SearchRequest) -> dict[str, Any]:
    """The type counts always (they are the total); the other facets and the histogram when
    asked. Day buckets; weeks and months are summed from them."""
    names = _TERMS if request.facets else {"type": "doc_type"}
    aggs: dict[str, Any] = {name: {"terms": {"field": field, "size": _TERMS_SIZE}}
                            for name, field in names.items()}
    if request.facets and request.histogram:   # as the SQL engines: no facets, no histogram
        aggs["@histogram"] = {"date_histogram": {"field": "news_published",
                                                 "fixed_interval": "1d", "min_doc_count": 1}}
    return aggs


def collect_page(s: tantivy.Searcher, query: Query, ranked: bool,
                 request: SearchRequest) -> Page:
    """The page's hits in (score desc, seq asc) order, exactly.

    Tantivy returns the top M by score; every document scoring above the M-th's score is among
    them, so the page is read from those (ties at the M-th score may continue past it). When
    they do not fill the page (collapsed stories, a deep cursor, ties), M grows."""
    limit = max(1, request.limit)
    need = limit + 1   # one more tells whether a next page exists
    after = _decode(request.cursor) if request.cursor else None
    fetch = max(_FIRST_FETCH, need * 4)
    while True:
        if ranked:
            result = s.search(query, fetch, count=False, weight_by_field="weight")
        else:
            result = s.search(query, fetch, count=False, order_by_field="recency")
        found = [(float(score), addr) for score, addr in result.hits]
        complete = len(found) < fetch
        chosen = _choose(s, found, None if complete else found[-1][0], request.collapse,
                         after, need)
        if len(chosen) >= need or complete:
            break
        fetch *= 4
    terms = request.query.highlight_terms()
    hits = [hit(stored_row(s, addr), score, terms)
            for score, _, addr in chosen[:limit]]
    next_cursor = None
    if len(chosen) > limit:
        score, seq, _ = chosen[limit - 1]
        next_cursor = encode_cursor({"s": score, "q": seq})
    return Page(hits, next_cursor)


def _choose(s: tantivy.Searcher, found: list[tuple[float, Any]], floor: float | None,
            collapse: bool, after: tuple[float, int] | None, need: int
            ) -> list[tuple[float, int, Any]]:
    addrs = [a for _, a in found]
    seqs = s.fast_field_values("seq", addrs)
    stories = s.fast_field_values("story", addrs) if collapse else [None] * len(addrs)
    order = sorted(zip(found, seqs, stories, strict=True), key=lambda c: (-c[0][0], c[1]))
    chosen: list[tuple[float, int, Any]] = []
    seen: set[int] = set()
    for (score, addr), seq, story in order:
        if floor is not None and not score > floor:
            break  # from here on a document scoring the same may not have been returned
        if collapse:
            if story in seen:
                continue
            seen.add(story)   # a story whose best hit is before the cursor is done
        if after is not None and not (score < after[0] or (score == after[0] and seq > after[1])):
            continue
        chosen.append((score, seq, addr))
        if len(chosen) >= need:
            break
    return chosen


def _decode(cursor: str) -> tuple[float, int]:
    score, seq = decode_score_cursor(cursor, "q", int)
    return score, int(seq)


def shape_aggregations(aggs: dict[str, Any], interval: HistogramInterval | None
                       ) -> tuple[dict[str, list[FacetBucket]], list[FacetBucket], int]:
    facets: dict[str, list[FacetBucket]] = {}
    for name in _TERMS:
        if name in aggs:
            buckets = [FacetBucket(str(b["key"]), int(b["doc_count"]))
                       for b in aggs[name]["buckets"] if b["doc_count"]]
            if buckets:
                facets[name] = sorted(buckets, key=lambda b: (-b.count, b.value))
    total = sum(b.count for b in facets.get("type", []))
    histogram: dict[str, int] = {}
    for b in aggs.get("@histogram", {}).get("buckets", []):
        if b["doc_count"] and interval is not None:
            label = _bucket(int(b["key"]) // 86_400_000, interval)
            histogram[label] = histogram.get(label, 0) + int(b["doc_count"])
    return facets, [FacetBucket(k, v) for k, v in sorted(histogram.items())], total


@lru_cache(maxsize=8192)
def _bucket(epoch_day: int, interval: HistogramInterval) -> str:
    """The label of a day's bucket (cached: a two-year histogram has 730 days to label)."""
    day = _EPOCH + timedelta(days=epoch_day)
    if interval == "week":   # weeks start on Mondays
        return (day - timedelta(days=day.weekday())).isoformat()
    if interval == "month":
        return f"{day.year:04d}-{day.month:02d}-01"
    return day.isoformat()
