"""The analysis pipeline on one cleaned text: language, tokens, entities, sentiment and events.

Shared by ingestion (articles) and by the analyse-your-own-text use case, so both give the same
answer for the same words.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stockflow.news.catalog import build_catalog
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
        # A backend too slow for the event loop says so (`blocking`); the service then
        # analyses in a thread.
        self.blocking = any(getattr(b, "blocking", False) for b in sentiment.backends.values())

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


# English sentiment backends by the `sentiment_backend` setting: (module, class).
BACKENDS = {
    "linear": ("stockflow.news.sentiment.linear", "LinearSentiment"),
    "lexicon": ("stockflow.news.sentiment.lexicon", "LexiconSentiment"),
    "transformer": ("stockflow.news.sentiment.transformer", "TransformerSentiment"),
}


class LazyAnalyser:
    """The analyser, built on first use: it needs the loaded universe and reads a model file,
    so a process that never analyses (or a test app) pays nothing. `ready()` builds it off the
    event loop; `analyse` before that is a wiring error."""

    def __init__(self, instruments: Callable[[], Iterable[Any]], backend: str,
                 model_path: Path | None = None) -> None:
        self._instruments = instruments
        self._backend = backend
        self._model_path = model_path
        self._built: Analyser | None = None
        self._lock = asyncio.Lock()

    async def ready(self) -> None:
        async with self._lock:
            if self._built is None:
                self._built = await make_analyser(self._instruments(), self._backend,
                                                  self._model_path)

    @property
    def blocking(self) -> bool:
        return self._built is not None and self._built.blocking

    def analyse(self, title: str, body: str = "", **kwargs: Any) -> Analysis:
        if self._built is None:
            raise RuntimeError("await ready() before analysing")
        return self._built.analyse(title, body, **kwargs)


async def make_analyser(instruments: Iterable[Any], backend: str,
                        model_path: Path | None = None) -> Analyser:
    """The analyser over this universe; the model is read off the event loop. `model_path`:
    the backend's model file or folder (None: the backend's default)."""
    if backend not in BACKENDS:
        raise ValueError(f"sentiment backend {backend!r} is not built; use one of "
                         f"{sorted(BACKENDS)}")
    module, name = BACKENDS[backend]
    factory = getattr(importlib.import_module(module), name)
    model = factory(model_path) if model_path is not None else factory()
    load = getattr(model, "load", None)
    if load is not None:
        await asyncio.to_thread(load)  # the shipped model loads lazily: load it now
    catalog = build_catalog(instruments)
    return Analyser(EntityExtractor(catalog), SentimentAnalyser({Language.EN: model}))
