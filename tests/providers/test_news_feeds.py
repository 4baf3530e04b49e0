"""RSS/Atom ingestion against the real feed payloads, served over local HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.adapters.news.feeds.parse import parse_feed, repair_encoding
from stockflow.adapters.news.feeds.poller import FeedPoller, FeedState
from stockflow.testing.fakes import FakeClock
from tests.providers.conftest import payload

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
RSS = {"Content-Type": "application/rss+xml; charset=ISO-8859-1"}


@pytest.fixture
async def poller():
    p = FeedPoller(FakeClock(T0), timeout=2.0, max_backoff_s=600.0)
    yield p
    await p.aclose()


async def test_reuters_rss_items_become_articles(vendor, poller):
    vendor.route("/reuters", "feeds/reuters_business_news_rss2_2019-01-19_trimmed.xml",
                 headers={"Content-Type": "text/xml", "ETag": '"r1"'})
    result = await poller.poll(FeedState(url=vendor.url + "/reuters", name="Reuters"))
    feed = result.feed
    assert feed is not None and len(feed.articles) == 4 and not feed.rejected
    first = feed.articles[0]
    assert first.source == "Reuters" and first.url.startswith("http")
    assert first.published_at.tzinfo is not None and first.published_at.year == 2019
    assert first.language == "en"


async def test_conditional_get_sends_validators_and_honours_304(vendor, poller):
    vendor.route("/sa", "feeds/seekingalpha_symbol_MSFT_rss2_2017-10_trimmed.xml",
                 headers={"Content-Type": "application/rss+xml", "ETag": '"v7"',
                          "Last-Modified": "Thu, 26 Oct 2017 22:00:00 GMT"})
    state = FeedState(url=vendor.url + "/sa", interval_s=60)
    first = await poller.poll(state)
    assert first.feed and any("MSFT" in a.tickers for a in first.feed.articles)
    vendor.route("/sa", status=304, headers={"ETag": '"v7"'})
    second = await poller.poll(state, force=True)
    assert second.not_modified and second.feed is None
    assert vendor.last.headers["if-none-match"] == '"v7"'
    assert vendor.last.headers["if-modified-since"] == "Thu, 26 Oct 2017 22:00:00 GMT"


async def test_mis_declared_latin1_feed_is_read_as_utf8(vendor, poller):
    vendor.route("/fn", "feeds/finanzen_net_analysen_ticker_rss2_2017-01.xml", headers=RSS)
    feed = (await poller.poll(FeedState(url=vendor.url + "/fn"))).feed
    assert feed is not None and len(feed.articles) == 15
    text = " ".join(a.body for a in feed.articles)
    assert "für" in text and "Ã¼" not in text
    assert feed.articles[0].published_at == T0  # the feed has no dates: fetch time stands in


def test_genuine_latin1_is_left_alone():
    body = '<?xml version="1.0" encoding="iso-8859-1"?><rss><channel><title>f\xfcr</title>' \
           "</channel></rss>"
    raw = body.encode("latin-1")
    assert repair_encoding(raw) == raw
    utf8 = body.encode("utf-8")
    assert b'encoding="utf-8"' in repair_encoding(utf8)


async def test_failing_feed_backs_off_exponentially_and_recovers(vendor):
    clock = FakeClock(T0)
    poller = FeedPoller(clock, max_backoff_s=300.0)
    state = FeedState(url=vendor.url + "/down", interval_s=60)
    vendor.route("/down", status=503, body="busy")
    try:
        due = []
        for _ in range(4):
            result = await poller.poll(state, force=True)
            assert result.error and "503" in result.error
            due.append((state.next_due - clock.now()).total_seconds())
        assert due == [120.0, 240.0, 300.0, 300.0]
        assert (await poller.poll(state)).skipped  # not due yet: no request made
        vendor.route("/down", "feeds/reuters_business_news_rss2_2019-01-19_trimmed.xml")
        clock.advance(301)
        ok = await poller.poll(state)
        assert ok.feed is not None and state.failures == 0
    finally:
        await poller.aclose()


async def test_oversized_and_garbage_bodies_are_errors_not_crashes(vendor):
    poller = FeedPoller(FakeClock(T0), max_bytes=1000)
    try:
        vendor.route("/big", "feeds/reuters_business_news_rss2_2019-01-19_trimmed.xml")
        assert "larger than" in (await poller.poll(FeedState(url=vendor.url + "/big"))).error
        vendor.route("/junk", body="\x00\x01 not xml at all {")
        assert (await poller.poll(FeedState(url=vendor.url + "/junk"))).error
    finally:
        await poller.aclose()


def test_items_without_link_are_rejected_with_a_reason():
    body = (b'<rss version="2.0"><channel><title>t</title><item><title>no link</title></item>'
            b"<item><title>ok</title><link>http://x.test/a</link></item></channel></rss>")
    feed = parse_feed(body, source=None, feed_url="http://x.test/feed", fetched_at=T0)
    assert [a.title for a in feed.articles] == ["ok"]
    assert feed.rejected[0].reason == "item without link or title"
    assert feed.articles[0].source == "x.test"


def test_yahoo_feed_payload_parses():
    feed = parse_feed(payload("feeds/yahoo_finance_headline_msft_rss2_2020-08-01_truncated.xml"),
                      source="Yahoo", feed_url="http://y.test", fetched_at=T0)
    assert feed.articles and all(a.title for a in feed.articles)
