"""EDGAR Atom entries → RawArticles with the form type and the event it stands for.

Both EDGAR feeds are read: the "latest filings" feed (form in the category term, company in the
title) and a company's filings feed (form in <filing-type>, company in the feed header).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from stockflow.adapters.news.feeds.parse import ParsedFeed, parse_feed
from stockflow.news.domain import EventType, RawArticle

SOURCE = "SEC EDGAR"
_COMPANY_NAME = re.compile(rb"<conformed-name>([^<]+)</conformed-name>")
# Why each form maps as it does: 10-Q/10-K carry the results; S-1/S-3/424B/F-1 register new
# shares; a 13D is a >5 % holder declaring intent to influence control; 8-K and 13G (a passive
# holder) say only "a filing" until the text says more.
_FORM_EVENTS: tuple[tuple[re.Pattern[str], EventType], ...] = (
    (re.compile(r"^(10-Q|10-K|20-F|40-F)(/A)?$"), EventType.EARNINGS),
    (re.compile(r"^(S-1|S-3|F-1|F-3|424B\d?)(/A)?$"), EventType.OFFERING_DILUTION),
    (re.compile(r"^(SC )?13D(/A)?$"), EventType.MERGER_ACQUISITION),
    (re.compile(r"^(SC )?TO-[TC](/A)?$"), EventType.MERGER_ACQUISITION),
)


def form_event(form: str) -> EventType:
    form = form.strip().upper()
    for pattern, event in _FORM_EVENTS:
        if pattern.match(form):
            return event
    return EventType.FILING


def _form(entry: Any) -> str | None:
    form = entry.get("filing-type")
    if not form:
        for tag in entry.get("tags") or []:
            if (tag.get("label") or "").lower() == "form type":
                form = tag.get("term")
    return str(form).strip() if form else None


def parse_edgar(body: bytes, *, feed_url: str, fetched_at: datetime) -> ParsedFeed:
    company = _COMPANY_NAME.search(body)
    name = company.group(1).decode("latin-1").strip() if company else None

    def hook(entry: Any, raw: RawArticle) -> RawArticle:
        form = _form(entry)
        if form is None:
            return raw
        raw.filing_form = form
        raw.event_hint = form_event(form)
        raw.language = "en"
        description = entry.get("form-name") or raw.title.split(" - ", 1)[-1]
        if name:  # company feed: "S-8 - Securities to be offered…" gains the filer's name
            raw.title = f"{form} - {name}: {description}"
        raw.body = f"{raw.title}. {raw.body}"
        return raw

    return parse_feed(body, source=SOURCE, feed_url=feed_url, fetched_at=fetched_at, hook=hook)


def edgar_parser(body: bytes, state: Any, fetched_at: datetime) -> ParsedFeed:
    """FeedPoller parser for EDGAR feeds (`FeedPoller(clock, parser=edgar_parser)`)."""
    return parse_edgar(body, feed_url=state.url, fetched_at=fetched_at)
