"""Lexicon sentiment: StockFlow's finance word and phrase valences with negation and intensifiers.

No model file, no dependency: the fallback when the trained model is not wanted, and the
explanation of a score (which terms fired) when one is asked for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from stockflow.news.domain import Sentiment, SentimentLabel
from stockflow.news.sentiment.lexicon_terms import INTENSIFIERS, NEGATIONS, PHRASES, WORDS
from stockflow.news.sentiment.normalise import normalise

VERSION = "1.0.0"
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_NEGATION_REACH = 3      # a negation flips the next three tokens' valence
_NEUTRAL_BAND = 0.2      # |score| below this is neutral
_LONGEST_PHRASE = max(len(p) for p in PHRASES)


def _terms(tokens: list[str]) -> list[tuple[int, float]]:
    """(position, valence) of every phrase or word hit, phrases first and non-overlapping."""
    hits: list[tuple[int, float]] = []
    i = 0
    while i < len(tokens):
        for size in range(_LONGEST_PHRASE, 1, -1):
            phrase = tuple(tokens[i:i + size])
            if len(phrase) == size and phrase in PHRASES:
                hits.append((i, PHRASES[phrase]))
                i += size
                break
        else:
            if tokens[i] in WORDS:
                hits.append((i, WORDS[tokens[i]]))
            i += 1
    return hits


def raw_valence(text: str) -> float:
    tokens = _TOKEN.findall(normalise(text))
    total = 0.0
    for pos, valence in _terms(tokens):
        before = tokens[max(0, pos - _NEGATION_REACH):pos]
        if any(t in NEGATIONS or t.endswith("n't") for t in before):
            valence = -0.7 * valence  # "not great" is weaker than "bad"
        if pos > 0 and tokens[pos - 1] in INTENSIFIERS:
            valence *= INTENSIFIERS[tokens[pos - 1]]
        total += valence
    return total


class LexiconSentiment:
    """Score = tanh(sum of valences / 3); label by a neutral band; confidence grows with |score|."""

    name = "lexicon-en"
    version = VERSION
    languages = frozenset({"en"})

    def score(self, text: str) -> Sentiment:
        score = math.tanh(raw_valence(text) / 3.0)
        if score >= _NEUTRAL_BAND:
            label = SentimentLabel.BULLISH
        elif score <= -_NEUTRAL_BAND:
            label = SentimentLabel.BEARISH
        else:
            label = SentimentLabel.NEUTRAL
        # Distance from the nearest decision boundary, mapped to 0.5..1.
        edge = abs(abs(score) - _NEUTRAL_BAND) / (1 - _NEUTRAL_BAND)
        confidence = 0.5 + 0.5 * min(1.0, edge)
        return Sentiment(score=round(score, 4), label=label, confidence=round(confidence, 4),
                         model=self.name, version=self.version)

    def score_many(self, texts: Sequence[str]) -> list[Sentiment]:
        return [self.score(t) for t in texts]
