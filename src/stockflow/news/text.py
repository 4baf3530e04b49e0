"""Text safety: stranger-supplied HTML to plain text and sanitised HTML, with size caps.

nh3 (Rust ammonia, MIT) does the sanitising on an allow-list; scripts, styles, iframes, event
handlers and 1×1 tracking images are dropped. A hostile item raises `UnsafeContent`, whose reason
the ingestion loop puts on the dead-letter record.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MAX_TITLE_CHARS = 500
MAX_BODY_CHARS = 20_000
MAX_RAW_BYTES = 2_000_000    # larger than any article: a feed item this big is an attack or a bug
MAX_TAGS = 5_000             # more tags than any article has: a tag bomb

_ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "a", "blockquote",
                 "h2", "h3", "h4", "table", "tr", "td", "th", "img"}
_ALLOWED_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template",
                      "svg", "math"}
_TRACKING_IMG = re.compile(
    r"<img\b[^>]*(?:\bwidth\s*=\s*['\"]?[01]\b|\bheight\s*=\s*['\"]?[01]\b|"
    r"feedburner|pixel|beacon|tracking|/t\.gif|doubleclick)[^>]*>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(?:p|div|li|h[1-6]|tr|blockquote)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_OPEN_TAG = re.compile(r"<[a-zA-Z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")


class UnsafeContent(ValueError):
    """An item that must not be stored; `reason` goes to the dead-letter record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str
    html: str
    truncated: bool


def sanitise_html(raw: str) -> str:
    import nh3

    no_pixels = _TRACKING_IMG.sub("", raw)
    return nh3.clean(no_pixels, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRS,
                     clean_content_tags=_DROP_WITH_CONTENT, url_schemes={"http", "https"},
                     link_rel="noopener noreferrer nofollow")


def to_plain(clean_html: str) -> str:
    with_breaks = _BLOCK_END.sub("\n", clean_html)
    text = html.unescape(_TAG.sub("", with_breaks))
    text = _CONTROL.sub("", text)
    return _LINES.sub("\n", _SPACES.sub(" ", text)).strip()


def _check(raw: str, what: str) -> None:
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_RAW_BYTES:
        raise UnsafeContent(f"{what} larger than {MAX_RAW_BYTES} bytes")
    if len(_OPEN_TAG.findall(raw)) > MAX_TAGS:
        raise UnsafeContent(f"{what} has more than {MAX_TAGS} tags")


def clean(raw: str, *, limit: int, what: str = "body") -> CleanText:
    """Sanitised HTML and plain text of `raw`, the text capped at `limit` characters."""
    _check(raw, what)
    safe = sanitise_html(raw)
    text = to_plain(safe)
    truncated = len(text) > limit
    if truncated:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return CleanText(text=text, html=safe if len(safe) <= limit * 4 else "", truncated=truncated)


def clean_title(raw: str) -> str:
    title = clean(raw, limit=MAX_TITLE_CHARS, what="title").text.replace("\n", " ")
    if not title.strip():
        raise UnsafeContent("empty title after cleaning")
    return title


def clean_body(raw: str) -> CleanText:
    return clean(raw, limit=MAX_BODY_CHARS, what="body")
