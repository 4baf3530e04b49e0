"""ArticleStore on SQL (SQLite and PostgreSQL): articles, their tickers and events. All news SQL."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from stockflow.core.ports import Database
from stockflow.news.domain import (
    Article,
    ArticleQuery,
    DetectedEvent,
    EventType,
    Language,
    NamedEntity,
    Sentiment,
    SentimentLabel,
    TickerMention,
    VendorSentiment,
)
from stockflow.news.tables import article_events, article_tickers, articles

_A, _T, _E = articles.c, article_tickers.c, article_events.c


def canonical_key(canonical_url: str) -> str:
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()


def _sentiment_columns(s: Sentiment | None) -> dict[str, Any]:
    if s is None:
        return {"sentiment_score": None, "sentiment_label": None, "sentiment_confidence": None}
    return {"sentiment_score": s.score, "sentiment_label": s.label.value,
            "sentiment_confidence": s.confidence}


def _article_row(a: Article) -> dict[str, Any]:
    return {
        "id": a.id, "source": a.source, "url": a.url, "canonical_url": a.canonical_url,
        "canonical_key": canonical_key(a.canonical_url), "title": a.title, "body": a.body,
        "published_at": a.published_at, "language": a.language.value,
        "content_hash": a.content_hash, "story_id": a.story_id, "duplicate_of": a.duplicate_of,
        **_sentiment_columns(a.sentiment),
        "sentiment_model": a.sentiment.model if a.sentiment else None,
        "sentiment_version": a.sentiment.version if a.sentiment else None,
        "sentiment_reason": a.sentiment_reason, "filing_form": a.filing_form,
        "entities": [{"kind": e.kind, "text": e.text} for e in a.entities],
        "vendor_sentiment": [{"source": v.source, "score": v.score, "label": v.label,
                              "ticker": v.ticker} for v in a.vendor_sentiment],
        "tokens": " ".join(a.tokens),
    }


class SqlArticleStore:
    """The ArticleStore port on a Database; the news migrations create its tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, article: Article) -> bool:
        tickers = [{"article_id": article.id, "ticker": m.ticker,
                    "published_at": article.published_at, "relevance": m.relevance,
                    "matched": list(m.matched),
                    **_sentiment_columns(article.ticker_sentiment.get(m.ticker))}
                   for m in article.tickers]
        events = [{"article_id": article.id, "event_type": e.type.value,
                   "confidence": e.confidence, "evidence": e.evidence} for e in article.events]
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(articles.insert(), [_article_row(article)])
                if tickers:
                    await conn.execute(article_tickers.insert(), tickers)
                if events:
                    await conn.execute(article_events.insert(), events)
        except IntegrityError:
            return False  # same id or canonical URL: the transaction wrote nothing
        return True

    async def get(self, article_id: str) -> Article | None:
        found = await self._load(sa.select(articles).where(_A.id == article_id))
        return found[0] if found else None

    async def find_exact(self, canonical_url: str, content_hash: str) -> Article | None:
        by_url = await self._load(sa.select(articles).where(
            _A.canonical_key == canonical_key(canonical_url)))
        if by_url:
            return by_url[0]
        by_hash = await self._load(sa.select(articles).where(_A.content_hash == content_hash)
                                   .order_by(_A.published_at, _A.id).limit(1))
        return by_hash[0] if by_hash else None

    async def list(self, query: ArticleQuery) -> list[Article]:
        stmt = sa.select(articles).where(*_filters(query))
        stmt = stmt.order_by(_A.published_at.desc(), _A.id.desc()).limit(max(0, query.limit))
        return await self._load(stmt)

    async def delete_older_than(self, cutoff: datetime) -> int:
        old = sa.select(_A.id).where(_A.published_at < cutoff)
        async with self.db.engine.begin() as conn:
            # Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys on.
            await conn.execute(article_tickers.delete().where(_T.article_id.in_(old)))
            await conn.execute(article_events.delete().where(_E.article_id.in_(old)))
            result = await conn.execute(articles.delete().where(_A.published_at < cutoff))
        return result.rowcount

    async def page_by_id(self, after: str | None, limit: int) -> list[Article]:
        stmt = sa.select(articles).order_by(_A.id).limit(max(0, limit))
        if after is not None:
            stmt = stmt.where(_A.id > after)
        return await self._load(stmt)

    async def count(self) -> int:
        async with self.db.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(articles)))
                       .scalar_one())

    async def _load(self, stmt: sa.Select[Any]) -> list[Article]:
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
            ids = [r["id"] for r in rows]
            if not ids:
                return []
            tickers = (await conn.execute(sa.select(article_tickers).where(
                _T.article_id.in_(ids)))).mappings().all()
            events = (await conn.execute(sa.select(article_events).where(
                _E.article_id.in_(ids)))).mappings().all()
        by_ticker: dict[str, list[Any]] = defaultdict(list)
        by_event: dict[str, list[Any]] = defaultdict(list)
        for t in tickers:
            by_ticker[t["article_id"]].append(t)
        for e in events:
            by_event[e["article_id"]].append(e)
        return [_article(r, by_ticker[r["id"]], by_event[r["id"]]) for r in rows]


def _filters(q: ArticleQuery) -> list[Any]:
    where: list[Any] = []
    if q.ticker is not None:
        where.append(sa.exists().where(_T.article_id == _A.id, _T.ticker == q.ticker))
    if q.event_type is not None:
        where.append(sa.exists().where(_E.article_id == _A.id,
                                       _E.event_type == EventType(q.event_type).value))
    if q.since is not None:
        where.append(_A.published_at >= q.since)
    if q.until is not None:
        where.append(_A.published_at < q.until)
    if q.language is not None:
        where.append(_A.language == Language(q.language).value)
    if q.sentiment is not None:
        where.append(_A.sentiment_label == SentimentLabel(q.sentiment).value)
    if q.source is not None:
        where.append(_A.source == q.source)
    if q.story_id is not None:
        where.append(_A.story_id == q.story_id)
    if q.words:
        # Tokens are stored space-separated; padding both sides makes " word " match whole
        # tokens only. A portable scan: the search context replaces it with a real index.
        padded = sa.literal(" ") + _A.tokens + sa.literal(" ")
        where.extend(padded.contains(f" {w} ", autoescape=True) for w in q.words)
    if q.after is not None:
        at, ident = q.after
        where.append(sa.or_(_A.published_at < at, sa.and_(_A.published_at == at, _A.id < ident)))
    return where


def _sentiment(score: Any, label: Any, confidence: Any, model: str, version: str,
               ) -> Sentiment | None:
    if score is None or label is None:
        return None
    return Sentiment(float(score), SentimentLabel(label), float(confidence or 0.0), model, version)


def _article(r: Any, tickers: Sequence[Any], events: Sequence[Any]) -> Article:
    model, version = r["sentiment_model"] or "", r["sentiment_version"] or ""
    mentions = sorted((TickerMention(t["ticker"], t["relevance"], tuple(t["matched"]))
                       for t in tickers), key=lambda m: (-m.relevance, m.ticker))
    per_ticker = {t["ticker"]: s for t in tickers if (s := _sentiment(
        t["sentiment_score"], t["sentiment_label"], t["sentiment_confidence"], model, version))}
    return Article(
        id=r["id"], source=r["source"], url=r["url"], canonical_url=r["canonical_url"],
        title=r["title"], body=r["body"], published_at=r["published_at"],
        language=Language(r["language"]), content_hash=r["content_hash"],
        story_id=r["story_id"], duplicate_of=r["duplicate_of"], tickers=tuple(mentions),
        sentiment=_sentiment(r["sentiment_score"], r["sentiment_label"],
                             r["sentiment_confidence"], model, version),
        sentiment_reason=r["sentiment_reason"], ticker_sentiment=per_ticker,
        events=tuple(sorted((DetectedEvent(EventType(e["event_type"]), e["confidence"],
                                           e["evidence"]) for e in events),
                            key=lambda e: (-e.confidence, e.type.value))),
        entities=tuple(NamedEntity(e["kind"], e["text"]) for e in r["entities"]),
        vendor_sentiment=tuple(VendorSentiment(v["source"], v["score"], v["label"], v["ticker"])
                               for v in r["vendor_sentiment"]),
        filing_form=r["filing_form"], tokens=tuple(r["tokens"].split()))
