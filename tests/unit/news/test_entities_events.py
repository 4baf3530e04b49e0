"""Tickers from names, aliases, cashtags and exchange prefixes; people; products; events."""

from __future__ import annotations

import pytest

from stockflow.adapters.providers.simulated.universe import default_universe
from stockflow.news.catalog import build_catalog, short_name
from stockflow.news.domain import EventType
from stockflow.news.entities import EntityExtractor
from stockflow.news.events import classify


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor(build_catalog(listing.instrument for listing in default_universe()))


def test_short_names() -> None:
    assert short_name("NVIDIA Corporation") == "NVIDIA"
    assert short_name("The Walt Disney Company") == "Walt Disney"
    assert short_name("Alphabet Inc. (Class A)") == "Alphabet"


def test_forms_of_a_ticker(extractor: EntityExtractor) -> None:
    found = extractor.tickers("Nvidia (NASDAQ:NVDA) rallies", "Traders bought $AMD and $BTC too.")
    tickers = {m.ticker: m for m in found}
    assert set(tickers) == {"NVDA", "AMD", "BTC-USD"}
    assert tickers["NVDA"].relevance > tickers["AMD"].relevance  # title mentions weigh more
    assert "NVDA" in tickers["NVDA"].matched and "Nvidia" in tickers["NVDA"].matched


def test_aliases_and_short_tickers(extractor: EntityExtractor) -> None:
    found = {m.ticker for m in extractor.tickers(
        "Google and Facebook face EU probe", "Bank of America analysts weigh in. V and MA flat.")}
    assert found == {"GOOGL", "META", "BAC"}  # bare one/two-letter words are not tickers


def test_chinese_and_japanese_names(extractor: EntityExtractor) -> None:
    assert {m.ticker for m in extractor.tickers("英伟达股价上涨", "")} == {"NVDA"}
    assert {m.ticker for m in extractor.tickers("テスラ株が急落", "")} == {"TSLA"}


def test_people_and_products(extractor: EntityExtractor) -> None:
    text = "CEO Jensen Huang unveiled the B200 and the iPhone 17 Pro rival. Tim Cook, CEO, spoke."
    found = {(e.kind, e.text) for e in extractor.people_and_products(text)}
    assert ("person", "Jensen Huang") in found and ("person", "Tim Cook") in found
    assert ("product", "B200") in found and ("product", "iPhone 17 Pro") in found


@pytest.mark.parametrize(("title", "expected"), [
    ("Acme beats estimates as quarterly earnings jump", EventType.EARNINGS),
    ("Acme raises full-year guidance", EventType.GUIDANCE),
    ("Acme to acquire Widget Co for $4 billion", EventType.MERGER_ACQUISITION),
    ("Acme announces $10 billion share repurchase program", EventType.DIVIDEND_BUYBACK),
    ("Acme unveils new chip for data centres", EventType.PRODUCT_LAUNCH),
    ("Regulators open antitrust probe into Acme", EventType.LEGAL_REGULATORY),
    ("Acme CEO steps down after ten years", EventType.MANAGEMENT_CHANGE),
    ("Goldman upgrades Acme to buy, raises price target", EventType.ANALYST_RATING),
    ("Acme files for Chapter 11 bankruptcy protection", EventType.BANKRUPTCY_RESTRUCTURING),
    ("Acme wins $2 billion Pentagon contract", EventType.PARTNERSHIP_CONTRACT),
    ("Acme prices $500 million convertible notes offering", EventType.OFFERING_DILUTION),
    ("Fed holds interest rates as inflation cools", EventType.MACRO),
])
def test_each_event_type(title: str, expected: EventType) -> None:
    events = classify(title, "")
    assert expected in {e.type for e in events}
    assert all(0.5 <= e.confidence <= 1 for e in events)


def test_multi_label_and_none() -> None:
    types = {e.type for e in classify("Acme beats estimates and raises guidance", "")}
    assert {EventType.EARNINGS, EventType.GUIDANCE} <= types
    assert classify("Acme shares trade sideways", "") == []


def test_source_hint_is_kept() -> None:
    events = classify("8-K - ACME CORP", "", hint=EventType.FILING)
    assert events[0].type is EventType.FILING and events[0].confidence == 0.95
