"""Sentiment per article and per mentioned ticker, choosing a backend by language.

A ticker's sentiment is that of the sentences naming it (so "A beats, B misses" gives A bullish
and B bearish); a ticker named only in the source's tags gets the article's sentiment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from stockflow.news.domain import (
    Language,
    Sentiment,
    SentimentOutcome,
    TickerMention,
)
from stockflow.news.sentiment.scoring import LABELS

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*|\n+|;\s+|,\s+(?:while|but|whereas)\s+")
NO_MODEL_REASON = ("no sentiment resource with a licence allowing commercial use is shipped for "
                   "{lang}; an English model's guess would be misleading")


class SentimentBackend(Protocol):
    name: str
    version: str
    languages: frozenset[str]

    def score_many(self, texts: Sequence[str]) -> list[Sentiment]: ...


def combine(parts: Sequence[Sentiment]) -> Sentiment:
    """Confidence-weighted mean score; the label of the heaviest side; mean confidence."""
    if len(parts) == 1:
        return parts[0]
    total = sum(p.confidence for p in parts) or 1.0
    score = sum(p.score * p.confidence for p in parts) / total
    votes = {label: sum(p.confidence for p in parts if p.label is label) for label in LABELS}
    label = max(LABELS, key=lambda lbl: votes[lbl])
    return Sentiment(score=round(max(-1.0, min(1.0, score)), 4), label=label,
                     confidence=round(votes[label] / total * max(p.confidence for p in parts), 4),
                     model=parts[0].model, version=parts[0].version)


class SentimentAnalyser:
    """Article and per-ticker sentiment from the backend registered for the text's language."""

    def __init__(self, backends: Mapping[Language, SentimentBackend]) -> None:
        self.backends = dict(backends)

    def article(self, title: str, body: str, language: Language,
                mentions: Sequence[TickerMention] = ()) -> tuple[SentimentOutcome,
                                                                 dict[str, Sentiment]]:
        backend = self.backends.get(language)
        if backend is None:
            return SentimentOutcome(None, NO_MODEL_REASON.format(lang=language.value)), {}
        sentences = [s.strip() for s in _SENTENCE.split(body) if s and len(s.strip()) > 3]
        # The headline carries most of the tone; it is scored alone and weighs as much as the body.
        texts = [title, *sentences]
        scored = backend.score_many(texts)
        headline, rest = scored[0], scored[1:]
        overall = combine([headline, combine(rest)]) if rest else headline
        per_ticker: dict[str, Sentiment] = {}
        for mention in mentions:
            forms = [f.strip("$()").casefold() for f in mention.matched]
            hits = [scored[i] for i, text in enumerate(texts)
                    if any(f and f in text.casefold() for f in forms)]
            per_ticker[mention.ticker] = combine(hits) if hits else overall
        return SentimentOutcome(overall), per_ticker
