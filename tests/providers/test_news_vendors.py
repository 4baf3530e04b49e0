"""Vendor news normalisers over local HTTP with the vendors' documented payloads; SEC EDGAR feeds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.adapters.news.feeds.poller import FeedPoller, FeedState
from stockflow.adapters.news.sec_edgar.parse import edgar_parser, form_event
from stockflow.adapters.providers.alphavantage.news import AlphaVantageNews
from stockflow.adapters.providers.finnhub.news import FinnhubNews
from stockflow.adapters.providers.polygon.news import PolygonNews
from stockflow.core.resilience.breaker import CircuitBreaker
from stockflow.core.resilience.chain import ResilientChain
from stockflow.core.resilience.errors import (
    ProviderBadData,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.news.domain import EventType
from stockflow.news.sources import VendorSource
from stockflow.news.vendor import NewsSource
from stockflow.testing.fakes import FakeClock

KEY = "news-secret-key-123"
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


async def _fetch(cls, vendor, ticker, **kw):
    """One fetch_news call on a fresh client pointed at the local vendor server."""
    src = cls(KEY, base_url=vendor.url)
    try:
        return await src.fetch_news(ticker, **kw)
    finally:
        await src.aclose()


async def test_polygon_news_keeps_insights_as_polygons(vendor):
    vendor.route("/v2/reference/news", "polygon/v2_reference_news_spec_example.json")
    src = PolygonNews(KEY, base_url=vendor.url)
    try:
        assert isinstance(src, NewsSource)
        [article] = await src.fetch_news("UBS", since=datetime(2024, 6, 1, tzinfo=UTC))
    finally:
        await src.aclose()
    assert article.title.startswith("Markets are underestimating Fed cuts")
    assert article.source == "Investing.com via polygon" and article.tickers == ("UBS",)
    assert article.published_at == datetime(2024, 6, 24, 18, 33, 53, tzinfo=UTC)
    [insight] = article.vendor_sentiment
    assert (insight.source, insight.label, insight.score, insight.ticker) == (
        "polygon", "positive", 1.0, "UBS")
    assert vendor.last.query["ticker"] == ["UBS"]
    assert vendor.last.query["published_utc.gte"] == ["2024-06-01T00:00:00Z"]
    assert KEY not in vendor.last.path and vendor.last.headers["authorization"] == f"Bearer {KEY}"


async def test_polygon_client_mock_without_insights(vendor):
    vendor.route("/v2/reference/news", "polygon/v2_reference_news_NFLX_client_mock.json")
    [article] = await _fetch(PolygonNews, vendor, "NFLX")
    assert article.vendor_sentiment == () and "NFLX" in article.tickers


async def test_alphavantage_news_sentiment(vendor):
    vendor.route("/query", "alphavantage/news_sentiment_GLW_trimmed.json")
    articles = await _fetch(AlphaVantageNews, vendor, "GLW")
    assert len(articles) == 5
    first = articles[0]
    assert first.published_at == datetime(2024, 4, 17, 13, 40, 10, tzinfo=UTC)
    overall, *per_ticker = first.vendor_sentiment
    assert overall.source == "alphavantage" and overall.score == pytest.approx(0.39371)
    assert overall.label == "Bullish" and overall.ticker is None
    glw = next(v for v in per_ticker if v.ticker == "GLW")
    assert glw.score == pytest.approx(0.292051) and glw.label == "Somewhat-Bullish"
    assert vendor.last.query["function"] == ["NEWS_SENTIMENT"]


async def test_alphavantage_rate_limit_note_is_an_error(vendor):
    vendor.route("/query", "alphavantage/note_rate_limit_5_per_minute.json")
    with pytest.raises(ProviderRateLimited):
        await _fetch(AlphaVantageNews, vendor, "GLW")


async def test_finnhub_company_news(vendor):
    vendor.route("/company-news", "finnhub/company_news_AAPL_docs_sample.json")
    articles = await _fetch(FinnhubNews, vendor, "AAPL", since=datetime(2019, 9, 20, tzinfo=UTC),
                            until=datetime(2019, 9, 27, tzinfo=UTC))
    assert articles and all(a.tickers == ("AAPL",) for a in articles)
    assert articles[0].published_at == datetime.fromtimestamp(1569550360, UTC)
    assert vendor.last.query == {"symbol": ["AAPL"], "from": ["2019-09-20"], "to": ["2019-09-27"]}
    assert vendor.last.headers["x-finnhub-token"] == KEY


async def test_finnhub_non_list_body_is_bad_data(vendor):
    vendor.route("/company-news", body={"error": "unexpected"})
    with pytest.raises(ProviderBadData):
        await _fetch(FinnhubNews, vendor, "AAPL")


@pytest.mark.parametrize(("form", "event"), [
    ("8-K", EventType.FILING), ("10-Q", EventType.EARNINGS), ("10-K/A", EventType.EARNINGS),
    ("S-1", EventType.OFFERING_DILUTION), ("SC 13D", EventType.MERGER_ACQUISITION),
    ("SC 13G", EventType.FILING), ("424B5", EventType.OFFERING_DILUTION),
])
def test_form_events(form, event):
    assert form_event(form) is event


async def test_edgar_feeds_over_http(vendor):
    vendor.route("/latest", "feeds/sec_edgar_latest_filings_getcurrent_atom_trimmed.xml",
                 headers={"Content-Type": "application/atom+xml"})
    vendor.route("/twtr", "feeds/sec_edgar_company_filings_TWITTER_atom_trimmed.xml",
                 headers={"Content-Type": "application/atom+xml"})
    poller = FeedPoller(FakeClock(T0), parser=edgar_parser)
    try:
        latest = (await poller.poll(FeedState(url=vendor.url + "/latest"))).feed
        company = (await poller.poll(FeedState(url=vendor.url + "/twtr"))).feed
    finally:
        await poller.aclose()
    assert latest is not None and len(latest.articles) == 5
    assert all(a.filing_form and a.source == "SEC EDGAR" for a in latest.articles)
    assert latest.articles[0].filing_form == "13F-HR"
    assert company is not None and company.articles
    first = company.articles[0]
    assert first.filing_form == "S-8" and "TWITTER, INC." in first.title
    assert first.event_hint is EventType.FILING


async def test_vendor_source_asks_through_the_chain_and_stops_at_an_open_breaker(vendor):
    clock = FakeClock(T0)
    src = PolygonNews(KEY, base_url=vendor.url)
    chain = ResilientChain("news", [src], clock=clock,
                           breakers={"polygon": CircuitBreaker("news:polygon", clock=clock,
                                                               failure_threshold=2)})
    source = VendorSource(src, chain, seconds=60, needs_ticker=False, tickers=())
    try:
        vendor.route("/v2/reference/news", "polygon/v2_reference_news_spec_example.json")
        assert source.due(clock.now()) and not source.due(clock.now())  # then every 60 s
        [article] = await source.fetch(clock.now())
        assert article.source == "Investing.com via polygon"
        vendor.route("/v2/reference/news", body={"status": "ERROR"}, status=503)
        for _ in range(2):
            with pytest.raises(ProviderUnavailable):
                await source.fetch(clock.now())
        asked = len(vendor.requests)
        with pytest.raises(ProviderUnavailable, match="open"):
            await source.fetch(clock.now())
        assert len(vendor.requests) == asked  # the open breaker kept the call at home
    finally:
        await src.aclose()
