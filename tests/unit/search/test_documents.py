"""Records become documents: keywords, boosts, tickers and the financial profile's words."""

from __future__ import annotations

import math

from stockflow.search.documents import (
    CompanyRecord,
    FinancialProfile,
    NewsArticle,
    company_document,
    financial_document,
    news_document,
    size_boost,
    suggest_entry,
)
from stockflow.search.domain import DocType


def test_size_boost_is_a_bounded_log_scale() -> None:
    assert size_boost(None) == 0.0 and size_boost(0) == 0.0 and size_boost(math.nan) == 0.0
    assert size_boost(1e9) < size_boost(1e12) < size_boost(1e13) == 1.0
    assert size_boost(1e20) == 1.0
    assert size_boost(1e6, popularity=1e9) == size_boost(1e9)


def test_company_document_and_its_suggest_entry() -> None:
    doc = company_document(CompanyRecord("goog", "Alphabet Inc.", aliases=("Google",),
                                         former_names=("Google Inc.",), sector="Technology",
                                         description="Search and ads.", market_cap=2e12))
    assert (doc.type, doc.id, doc.key) == (DocType.COMPANY, "GOOG", "company:GOOG")
    assert doc.keywords == ("GOOG", "Google", "Google Inc.") and doc.tickers == ("GOOG",)
    assert "Search and ads." in doc.body and "Technology" in doc.body
    entry = suggest_entry(doc)
    assert (entry.ticker, entry.name, entry.aliases) == ("GOOG", "Alphabet Inc.",
                                                          ("Google", "Google Inc."))
    assert entry.popularity == doc.boost > 0.9


def test_news_document_normalises_tickers() -> None:
    doc = news_document(NewsArticle("a1", "t", tickers=("nvda", "NVDA", " ", "amd"),
                                    entities=("Jensen Huang",), story_id="s"))
    assert doc.tickers == ("NVDA", "AMD") and doc.keywords == ("NVDA", "AMD", "Jensen Huang")
    assert doc.tags() == [("ticker", "AMD"), ("ticker", "NVDA")]


def test_financial_profile_words_follow_the_figures() -> None:
    rich = financial_document(FinancialProfile("nvda", "NVIDIA", "Technology", "Semiconductors",
                                               3e12, 0.75, 0.6, 0.5, 1.2, 55, None, 0.2))
    assert rich.type is DocType.FINANCIALS and rich.id == "NVDA"
    for words in ("high margin", "high growth", "premium valuation", "low debt", "mega cap",
                  "Semiconductors", "gross margin 75%", "P/E 55.0"):
        assert words in rich.body
    poor = financial_document(FinancialProfile("w", "W", net_margin=-0.2, revenue_growth=-0.1,
                                               debt_to_equity=3, market_cap=5e8,
                                               dividend_yield=0.05, pe_ratio=math.inf))
    for words in ("loss-making", "shrinking revenue", "high debt", "small cap",
                  "high dividend yield"):
        assert words in poor.body
    assert "high margin" not in poor.body and "P/E" not in poor.body
    assert "valuation" not in poor.body  # an infinite P/E is no figure at all
