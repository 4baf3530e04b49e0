"""From class probabilities to a Sentiment: score = P(bullish) − P(bearish), label = argmax."""

from __future__ import annotations

from stockflow.news.domain import Sentiment, SentimentLabel

# Class order of the training data (0 bearish, 1 bullish, 2 neutral) is remapped to this one.
LABELS = (SentimentLabel.BEARISH, SentimentLabel.NEUTRAL, SentimentLabel.BULLISH)


def from_probabilities(p_bear: float, p_neutral: float, p_bull: float, *, model: str,
                       version: str) -> Sentiment:
    probs = (p_bear, p_neutral, p_bull)
    best = max(range(3), key=probs.__getitem__)
    score = max(-1.0, min(1.0, p_bull - p_bear))
    return Sentiment(score=round(score, 4), label=LABELS[best],
                     confidence=round(min(1.0, max(0.0, probs[best])), 4),
                     model=model, version=version)
