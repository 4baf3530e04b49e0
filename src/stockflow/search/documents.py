"""Pure rules that turn the platform's records into search documents.

Companies, news articles and financial profiles arrive as these records (event payloads are
validated straight into them, see service.py); each becomes one SearchDocument, companies also
one SuggestEntry. The Field annotations are the payloads' validation rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Annotated

from pydantic import Field

from stockflow.analysis.domain import KeyFigures
from stockflow.search.domain import DocType, SearchDocument, SuggestEntry

# log10(market cap) / 13: 10 trillion is the top of the scale, a 1-billion company scores 0.69.
_BOOST_SCALE = 13.0

Text = Annotated[str, Field(min_length=1)]
Ticker = Annotated[str, Field(min_length=1, max_length=32)]
Amount = Annotated[float, Field(ge=0)]


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    ticker: Ticker
    name: Text
    aliases: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    exchange: str | None = None
    asset_class: str | None = "equity"
    sector: str | None = None
    industry: str | None = None
    country: str | None = None
    description: str = ""
    market_cap: Amount | None = None
    popularity: Amount | None = None  # e.g. views or watchlist count; used when larger


@dataclass(frozen=True, slots=True)
class NewsArticle:
    id: Text
    title: Text
    body: str = ""
    source: str | None = None
    lang: str | None = None
    tickers: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    sentiment: str | None = None
    event_types: tuple[str, ...] = ()
    published_at: datetime | None = None
    story_id: str | None = None
    url: str | None = None


# Key figures of one company (ratios as fractions, 0.65 is 65 %): the analysis context's own
# record, which its KeyFiguresReader port answers with.
FinancialProfile = KeyFigures


@dataclass(frozen=True, slots=True)
class SentimentLabel:
    """A sentiment verdict on an article that may already be indexed."""

    article_id: Text
    label: Text


def size_boost(market_cap: float | None, popularity: float | None = None) -> float:
    best = max((v for v in (market_cap, popularity) if v is not None and v > 0), default=None)
    if best is None or not math.isfinite(best):
        return 0.0
    return max(0.0, min(1.0, math.log10(best) / _BOOST_SCALE))


def company_document(rec: CompanyRecord) -> SearchDocument:
    parts = [rec.description, rec.industry or "", rec.sector or ""]
    return SearchDocument(
        type=DocType.COMPANY, id=rec.ticker.upper(), title=rec.name,
        body=" · ".join(p for p in parts if p),
        keywords=(rec.ticker.upper(), *rec.aliases, *rec.former_names),
        tickers=(rec.ticker.upper(),), sector=rec.sector, industry=rec.industry,
        exchange=rec.exchange, asset_class=rec.asset_class, country=rec.country,
        boost=size_boost(rec.market_cap, rec.popularity))


def suggest_entry(doc: SearchDocument) -> SuggestEntry:
    """The autocomplete entry of a company document (its boost orders equal matches)."""
    aliases = tuple(k for k in doc.keywords if k.upper() != doc.id.upper())
    return SuggestEntry(key=doc.key, ticker=doc.id, name=doc.title, aliases=aliases,
                        exchange=doc.exchange, asset_class=doc.asset_class, popularity=doc.boost)


def news_document(article: NewsArticle) -> SearchDocument:
    tickers = tuple(dict.fromkeys(t.upper() for t in article.tickers if t.strip()))
    return SearchDocument(
        type=DocType.NEWS, id=article.id, title=article.title, body=article.body,
        keywords=(*tickers, *article.entities), tickers=tickers,
        event_types=article.event_types, source=article.source, lang=article.lang,
        sentiment=article.sentiment, published_at=article.published_at,
        story_id=article.story_id, url=article.url)


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _descriptors(p: FinancialProfile) -> list[str]:
    """Plain words a person searches with, from the figures (thresholds in docs/search.md)."""
    words: list[str] = []
    gross, op, net = p.gross_margin, p.operating_margin, p.net_margin
    if (gross or 0) >= 0.5 or (op or 0) >= 0.25 or (net or 0) >= 0.2:
        words.append("high margin, highly profitable")
    elif net is not None and net < 0:
        words.append("loss-making, unprofitable")
    elif net is not None and net < 0.05:
        words.append("low margin")
    growth = p.revenue_growth
    if growth is not None:
        words.append("high growth, fast growing revenue" if growth >= 0.25 else
                     "growing revenue" if growth >= 0.1 else
                     "shrinking revenue, declining sales" if growth < 0 else "stable revenue")
    if p.pe_ratio is not None and p.pe_ratio > 0:
        words.append("value stock, low valuation" if p.pe_ratio < 12 else
                     "premium valuation, expensive" if p.pe_ratio > 40 else "")
    if p.dividend_yield:
        words.append("high dividend yield, income stock" if p.dividend_yield >= 0.04
                     else "dividend payer")
    if p.debt_to_equity is not None:
        words.append("low debt, strong balance sheet" if p.debt_to_equity < 0.3 else
                     "high debt, leveraged" if p.debt_to_equity > 2 else "")
    cap = p.market_cap
    if cap:
        words.append("mega cap" if cap >= 2e11 else "large cap" if cap >= 1e10 else
                     "mid cap" if cap >= 2e9 else "small cap" if cap >= 3e8 else "micro cap")
    return [w for w in words if w]


def _finite(p: FinancialProfile) -> FinancialProfile:
    """NaN and infinite figures (a P/E with zero earnings) say nothing: treated as missing."""
    bad = {f.name: None for f in fields(p)
           if isinstance(v := getattr(p, f.name), float) and not math.isfinite(v)}
    return replace(p, **bad) if bad else p


def financial_document(p: FinancialProfile) -> SearchDocument:
    p = _finite(p)
    figures = [f"{label} {_pct(v)}" for label, v in (
        ("gross margin", p.gross_margin), ("operating margin", p.operating_margin),
        ("net margin", p.net_margin), ("revenue growth", p.revenue_growth),
        ("dividend yield", p.dividend_yield)) if v is not None]
    if p.pe_ratio is not None:
        figures.append(f"P/E {p.pe_ratio:.1f}")
    kind = " ".join(x for x in (p.industry, p.sector) if x) or "company"
    body = f"{', '.join(_descriptors(p))} {kind}. " + "; ".join(figures)
    return SearchDocument(
        type=DocType.FINANCIALS, id=p.ticker.upper(), title=f"{p.name} ({p.ticker.upper()}) "
        f"key figures", body=body.strip(), keywords=(p.ticker.upper(),),
        tickers=(p.ticker.upper(),), sector=p.sector, industry=p.industry,
        boost=size_boost(p.market_cap))
