"""The analysis pipeline on one cleaned text: language, tokens, entities, sentiment and events.

Shared by ingestion (articles) and by the analyse-your-own-text use case, so both give the same
answer for the same words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stockflow.news.domain import (
    DetectedEvent,
    EventType,
    Language,
    NamedEntity,
    Sentiment,
    SentimentOutcome,
    TickerMention,
)
from stockflow.news.entities import EntityExtractor
from stockflow.news.events import classify
from stockflow.news.language import detect_language, search_tokens
from stockflow.news.sentiment.per_text import SentimentAnalyser


@dataclass(frozen=True, slots=True)
class Analysis:
    language: Language
    tokens: tuple[str, ...]
    tickers: tuple[TickerMention, ...]
    entities: tuple[NamedEntity, ...]
    sentiment: SentimentOutcome
    ticker_sentiment: dict[str, Sentiment] = field(default_factory=dict)
    events: tuple[DetectedEvent, ...] = ()


class Analyser:
    def __init__(self, extractor: EntityExtractor, sentiment: SentimentAnalyser) -> None:
        self.extractor = extractor
        self.sentiment = sentiment

    def analyse(self, title: str, body: str = "", *, language: Language | str | None = None,
                tagged: tuple[str, ...] = (), hint: EventType | None = None) -> Analysis:
        lang = _language(language) if language else detect_language(f"{title}\n{body}")
        mentions = tuple(self.extractor.tickers(title, body, tagged))
        outcome, per_ticker = self.sentiment.article(title, body, lang, mentions)
        return Analysis(
            language=lang,
            tokens=tuple(dict.fromkeys(search_tokens(f"{title} {body}", lang))),
            tickers=mentions,
            entities=tuple(self.extractor.people_and_products(f"{title}. {body}")),
            sentiment=outcome,
            ticker_sentiment=per_ticker,
            events=tuple(classify(title, body, hint)),
        )


def _language(code: Language | str) -> Language:
    """A source's own language tag: "en-us" → en; a language without models → other."""
    try:
        return Language(str(code).lower()[:2])
    except ValueError:
        return Language.OTHER
