"""Wire models: tiers, cursors, analyse-request limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from stockflow.core.problems import Problem
from stockflow.news.domain import Article, Language, Sentiment, SentimentLabel, TickerMention
from stockflow.news.schemas import (
    MAX_ANALYZE_TEXTS,
    AnalyzeRequest,
    ArticleOut,
    article_cursor,
    read_article_cursor,
)

AT = datetime(2026, 1, 6, 13, 0, tzinfo=UTC)


def _article() -> Article:
    s = Sentiment(0.5, SentimentLabel.BULLISH, 0.7, "m", "1")
    return Article(id="a1", source="Wire", url="https://x.test/1", canonical_url="https://x.test/1",
                   title="t", body="b", published_at=AT, language=Language.EN, content_hash="h",
                   story_id="a1", tickers=(TickerMention("NVDA", 1.0, ("NVDA",)),), sentiment=s,
                   ticker_sentiment={"NVDA": s})


def test_free_tier_sees_headline_source_time_tickers_only():
    out = ArticleOut.of(_article(), full=False).model_dump()
    assert out["body"] is None and out["sentiment"] is None and out["events"] == []
    assert out["tickers"] == [{"ticker": "NVDA", "relevance": 1.0, "sentiment": None}]
    full = ArticleOut.of(_article()).model_dump()
    assert full["sentiment"]["label"] == "bullish" and full["tickers"][0]["sentiment"]["score"] == 0.5


def test_cursor_round_trip_and_garbage():
    assert read_article_cursor(article_cursor(_article())) == (AT, "a1")
    with pytest.raises(Problem):
        read_article_cursor("bm90IGpzb24")


def test_analyze_request_limits():
    assert len(AnalyzeRequest(text="Nvidia beats").texts()) == 1
    with pytest.raises(ValidationError):
        AnalyzeRequest(items=[{"text": "x"}] * (MAX_ANALYZE_TEXTS + 1))
    with pytest.raises(ValidationError):
        AnalyzeRequest(text="x" * 20_001)
    with pytest.raises(Problem):
        AnalyzeRequest(text="a", items=[{"text": "b"}]).texts()
