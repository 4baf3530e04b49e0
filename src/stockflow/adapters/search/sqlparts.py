"""The SQL fragments a search is built from: bound parameters, an engine's text match, the
filters, the ranking window and the keyset cursor (used by adapters/search/sqlbase.py).

All SQL here is built from fixed fragments; every value, user text included, is a bound parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stockflow.adapters.search.rows import epoch
from stockflow.search.domain import (
    COLUMN_FILTERS,
    DocType,
    InvalidCursor,
    SearchRequest,
    normalise_filter,
)


class Params:
    """Names bound parameters as they are added, so no value is ever spliced into SQL."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def one(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"

    def many(self, values: Sequence[Any]) -> str:
        return ", ".join(self.one(v) for v in values)


@dataclass
class TextMatch:
    """An engine's contribution to one search: extra CTEs, FROM, WHERE and the score."""

    from_: str = "search_documents d"
    where: list[str] = field(default_factory=list)
    score: str = "(COALESCE(d.published_at, 0) + d.boost)"
    prelude: str = ""  # "name AS (...), " CTEs the FROM refers to
    # the column a window reads newest first, which the engine can return in that order
    order: str = "d.pk"
    # FROM for the few documents found through their type's index (the window's older part)
    by_type: str = "search_documents d"
    # The document's pk as the match knows it before the document row is read: a filter on it
    # is checked on the text match alone (the `+` keeps FTS5 from being probed once per value).
    pk: str = "d.pk"


_NOT_NEWS = ", ".join(f"'{t.value}'" for t in DocType if t is not DocType.NEWS)


def windowed(window: int, cols: str, match: TextMatch, where: str) -> str:
    """The CTEs of a search bounded by `window`: `hits` (with a weight `w`) and `stats`.

    The newest `window` matches (by pk: the order documents were first indexed, for news the
    order they arrived), which both engines read newest first and stop after; when fewer
    match, that is every match and each weighs 1. When the window is full each of its matches
    weighs (pk span of the index) / (pk span the window covers), so facet counts estimate the
    whole. Companies and financial profiles are few and were often indexed before the news:
    the ones older than the window are read as well, through their type's index, weight 1."""
    cap = int(window)
    return (f"win AS MATERIALIZED (SELECT {cols} FROM {match.from_} WHERE {where} "
            f"ORDER BY {match.order} DESC LIMIT {cap}), "
            f"stats AS (SELECT count(*) AS n, min(pk) AS lo FROM win), "
            # two subqueries: each of min() and max() alone is one b-tree step on SQLite
            f"span AS (SELECT (SELECT max(pk) FROM search_documents) AS hi, "
            f"(SELECT min(pk) FROM search_documents) AS lo), "
            # `+d.pk`: not the primary key's range (every older news row) but the type's index
            f"older AS MATERIALIZED (SELECT {cols} FROM {match.by_type} WHERE {where} "
            f"AND d.doc_type IN ({_NOT_NEWS}) AND +d.pk < (SELECT lo FROM stats) "
            f"AND (SELECT n FROM stats) >= {cap}), "
            f"hits AS MATERIALIZED (SELECT win.*, CASE WHEN stats.n < {cap} THEN 1.0 ELSE "
            f"(span.hi - span.lo + 1) * 1.0 / (span.hi - stats.lo + 1) END AS w "
            f"FROM win CROSS JOIN stats CROSS JOIN span "
            f"UNION ALL SELECT older.*, 1.0 FROM older)")


TAG_FIELDS = ("ticker", "event_type")


def tag_filters(request: SearchRequest) -> list[tuple[str, tuple[str, ...]]]:
    """The positive ticker / event-type filters, as (field, normalised values)."""
    return [(name, tuple(sorted({normalise_filter(name, v) for v in values})))
            for source in (request.filters, request.query.filters)
            for name, values in source.items() if values and name in TAG_FIELDS]


def filter_clauses(request: SearchRequest, p: Params, *,
                   small: frozenset[tuple[str, tuple[str, ...]]] = frozenset(),
                   pk: str = "d.pk") -> list[str]:
    """WHERE fragments of the request's filters and the query's own field filters (ANDed).

    A tag filter in `small` (few tagged documents, see `tag_filters`) becomes `pk IN (its
    documents)`: the engine collects them once and checks each text match against that set
    before reading the match's document row, where the correlated form reads the row and
    probes the tag index for every match, thousands of them for `common-word ticker:X`."""
    clauses = []
    for source, negate in ((request.filters, False), (request.query.filters, False),
                           (request.query.excluded, True)):
        for name, values in source.items():
            if not values:
                continue
            norm = sorted({normalise_filter(name, v) for v in values})
            if not negate and (name, tuple(norm)) in small:
                clauses.append(f"{pk} IN (SELECT t.pk FROM search_tags t WHERE t.field = "
                               f"{p.one(name)} AND t.value IN ({p.many(norm)}))")
                continue
            clauses.append(_filter_clause(name, norm, negate, p))
    if request.published_from is not None:
        clauses.append(f"d.published_at >= {p.one(epoch(request.published_from))}")
    if request.published_to is not None:
        clauses.append(f"d.published_at < {p.one(epoch(request.published_to))}")
    if request.news_before is not None:
        clauses.append(f"(d.doc_type <> 'news' OR d.published_at < "
                       f"{p.one(epoch(request.news_before))})")
    return clauses


def _filter_clause(name: str, values: list[str], negate: bool, p: Params) -> str:
    if name in COLUMN_FILTERS:
        column = "d.doc_type" if name == "type" else f"d.{name}"
        inside = f"{column} IN ({p.many(values)})"
        return f"({column} IS NULL OR NOT {inside})" if negate else inside
    if name not in TAG_FIELDS:
        raise ValueError(f"unknown filter field {name!r}")
    exists = (f"EXISTS (SELECT 1 FROM search_tags t WHERE t.pk = d.pk AND t.field = "
              f"{p.one(name)} AND t.value IN ({p.many(values)}))")
    return f"NOT {exists}" if negate else exists


def decode_search_cursor(cursor: str) -> tuple[float, str]:
    """(score, key) of a SQL engine's cursor."""
    score, key = decode_score_cursor(cursor, "k", str)
    return score, str(key)


def decode_score_cursor(cursor: str, tie: str, tie_type: type) -> tuple[float, Any]:
    """(score, tie-break) of a search cursor {"s": score, tie: value}; InvalidCursor for any
    cursor not of that shape (another engine's included)."""
    from stockflow.core.pagination import decode_cursor
    from stockflow.core.problems import Problem

    try:
        value = decode_cursor(cursor)
    except Problem:
        raise InvalidCursor("cursor is not one this index issued") from None
    score, second = value.get("s"), value.get(tie)
    if (not isinstance(score, int | float) or isinstance(second, bool)
            or not isinstance(second, tie_type) or not math.isfinite(score)):
        raise InvalidCursor("cursor is not one this index issued")
    return float(score), second
