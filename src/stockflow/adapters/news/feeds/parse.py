"""Feed bytes → RawArticles. Encoding repair and per-item rejection happen here, without I/O."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from stockflow.news.domain import RawArticle

_DECLARED = re.compile(rb"""^(\s*<\?xml[^>]*encoding\s*=\s*["'])([A-Za-z0-9._\-]+)(["'])""")
_SINGLE_BYTE = {b"iso-8859-1", b"latin-1", b"latin1", b"windows-1252", b"cp1252", b"us-ascii",
                b"iso-8859-15"}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A feed item that could not become an article, and why (for the dead-letter record)."""

    item_id: str
    reason: str


@dataclass(slots=True)
class ParsedFeed:
    title: str
    articles: list[RawArticle] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def repair_encoding(body: bytes) -> bytes:
    """A feed that declares a single-byte charset but is valid UTF-8 with non-ASCII bytes is
    UTF-8 (finanzen.net re-encodes without fixing its prolog): say so before parsing.

    Valid UTF-8 multi-byte sequences are vanishingly rare in real Latin-1 text, so the check
    cannot turn a genuine Latin-1 feed into mojibake.
    """
    m = _DECLARED.match(body)
    if m is None or m.group(2).lower() not in _SINGLE_BYTE or body.isascii():
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    return _DECLARED.sub(rb"\1utf-8\3", body, count=1)


def _when(entry: Any, fallback: datetime) -> datetime:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return fallback


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    for part in contents:
        if part.get("value"):
            return str(part["value"])
    return str(entry.get("summary") or "")


def _tags(entry: Any) -> tuple[str, ...]:
    # Seeking Alpha tags its items with <sa:symbol>; feedparser names it sa_symbol.
    symbol = entry.get("sa_symbol")
    return (str(symbol).upper(),) if symbol else ()


EntryHook = Callable[[Any, RawArticle], RawArticle]


def parse_feed(body: bytes, *, source: str | None, feed_url: str, fetched_at: datetime,
               language: str | None = None, hook: EntryHook | None = None) -> ParsedFeed:
    """Every entry with a link and a title becomes a RawArticle; the others are Rejected."""
    import feedparser  # BSD-2-Clause; parsing only, this module never fetches

    parsed = feedparser.parse(repair_encoding(body),
                              response_headers={"content-type": "application/xml"})
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"not a feed: {type(parsed.get('bozo_exception')).__name__}")
    name = source or urlsplit(feed_url).hostname or feed_url
    feed_lang = language or (parsed.feed.get("language") or "")[:2] or None
    out = ParsedFeed(title=str(parsed.feed.get("title") or name))
    for n, entry in enumerate(parsed.entries):
        ident = str(entry.get("id") or entry.get("link") or f"#{n}")
        link, title = entry.get("link"), entry.get("title")
        if not link or not title:
            out.rejected.append(Rejected(ident, "item without link or title"))
            continue
        raw = RawArticle(source=name, url=str(link), title=str(title), body=_body(entry),
                         published_at=_when(entry, fetched_at), language=feed_lang,
                         tickers=_tags(entry), external_id=ident)
        out.articles.append(hook(entry, raw) if hook else raw)
    return out
