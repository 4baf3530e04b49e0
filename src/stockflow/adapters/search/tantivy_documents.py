"""SearchDocument <-> Tantivy document, and the id range query a reindex pages with."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import tantivy

from stockflow.adapters.search.rows import document_row, row_document
from stockflow.adapters.search.tantivy_query import story_hash, utc, weight
from stockflow.search.domain import DocType, SearchDocument
from stockflow.search.text import index_text

_COLUMNS = ("sector", "industry", "exchange", "asset_class", "country", "source", "lang",
            "sentiment")


def to_tantivy(doc: SearchDocument, seq: int) -> tantivy.Document:
    row = document_row(doc)   # the SQL engines' normalised form, so `get` answers alike
    out = tantivy.Document()
    for name, text in (("key", doc.key), ("doc_type", doc.type.value), ("doc_id", doc.id),
                       ("title", index_text(doc.title)),
                       ("keywords", index_text(" ; ".join(doc.keywords))),
                       ("body", index_text(doc.body))):
        out.add_text(name, text)
    out.add_bytes("doc", json.dumps(row).encode())
    for name in _COLUMNS:
        if row[name] is not None:
            out.add_text(name, row[name])
    for name, value in doc.tags():
        out.add_text("tickers" if name == "ticker" else "event_types", value)
    out.add_unsigned("seq", seq)
    out.add_integer("story", story_hash(row["story_key"]))
    out.add_float("weight", weight(row["boost"]))
    out.add_float("recency", float(row["published_at"] or 0) + row["boost"])
    # beyond the dates Tantivy holds, at the nearest end; the stored row keeps the true one
    if doc.published_at is not None and (published := utc(
            datetime.fromtimestamp(row["published_at"], UTC))) is not None:
        out.add_date("published", published)
        if doc.type is DocType.NEWS:
            out.add_date("news_published", published)
    return out


def stored_row(searcher: tantivy.Searcher, addr: tantivy.DocAddress) -> dict[str, Any]:
    """The SQL engines' row of a stored document (rows.document_row)."""
    return dict(json.loads(searcher.doc(addr).get_first("doc")))


def stored_document(searcher: tantivy.Searcher, addr: tantivy.DocAddress) -> SearchDocument:
    return row_document(stored_row(searcher, addr))


def ids_after(schema: tantivy.Schema, after: str) -> tantivy.Query:
    """Documents whose id sorts after `after` (code-point order, as SQL's binary collation
    compares keys): a regex over the id terms, which Tantivy runs on its term dictionary."""
    def literal(text: str) -> str:
        return "".join(f"\\x{{{ord(c):X}}}" for c in text)

    def above(ch: str) -> str | None:
        low, ranges = ord(ch) + 1, []
        if low <= 0xD7FF:                       # surrogates are not characters: skip them
            ranges.append(f"\\x{{{low:X}}}-\\x{{D7FF}}")
            low = 0xE000
        low = max(low, 0xE000)
        if low <= 0x10FFFF:
            ranges.append(f"\\x{{{low:X}}}-\\x{{10FFFF}}")
        return "[" + "".join(ranges) + "]" if ranges else None

    # longer with `after` as its prefix, or the same up to a character that is greater
    branches = [literal(after) + "(?s:.)+"]
    for i, ch in enumerate(after):
        if (cls := above(ch)) is not None:
            branches.append(literal(after[:i]) + cls + "(?s:.)*")
    return tantivy.Query.regex_query(schema, "doc_id", "(?:" + "|".join(branches) + ")")
