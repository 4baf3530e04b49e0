"""The default sentiment backend: TF-IDF + logistic regression, trained and shipped in the package.

The model file holds plain arrays only and is read without pickle, so it cannot run code
(`modelfile`). Training: `python -m stockflow.news.training.train_sentiment`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from stockflow.news.domain import Sentiment
from stockflow.news.sentiment.normalise import normalise
from stockflow.news.sentiment.scoring import from_probabilities

MODEL_NAME = "tfidf-logreg-en"
MODEL_FILE = "sentiment_en_tfidf_lr.npz"
# Training labels: 0 bearish, 1 bullish, 2 neutral.
_BEAR, _BULL, _NEUTRAL = 0, 1, 2


def default_model_path() -> Path:
    return Path(str(resources.files("stockflow.news.sentiment").joinpath("assets", MODEL_FILE)))


def model_card(path: Path) -> dict[str, Any]:
    """The JSON beside the model: version, training data, licence, validation figures."""
    card = path.with_suffix(".json")
    return json.loads(card.read_text("utf-8")) if card.exists() else {}


def load_pipeline(path: Path) -> Any:
    from stockflow.news.sentiment import modelfile  # scikit-learn: only when a model is loaded

    return modelfile.load(path)


class LinearSentiment:
    """English sentiment from the shipped model; `version` is stored in the model file."""

    name = MODEL_NAME
    languages = frozenset({"en"})

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_model_path()
        self._pipeline: Any = None
        self.version = "unloaded"

    def load(self) -> None:
        """Read the model file now (a server does it at start, off the event loop)."""
        self._model()

    def _model(self) -> Any:
        if self._pipeline is None:
            self._pipeline = load_pipeline(self.path)
            self.version = str(model_card(self.path).get("version", "0"))
        return self._pipeline

    def score_many(self, texts: Sequence[str]) -> list[Sentiment]:
        if not texts:
            return []
        model = self._model()
        probs = model.predict_proba([normalise(t) for t in texts])
        column = {int(c): i for i, c in enumerate(model.classes_)}
        return [from_probabilities(float(p[column[_BEAR]]), float(p[column[_NEUTRAL]]),
                                   float(p[column[_BULL]]), model=self.name,
                                   version=self.version) for p in probs]

    def score(self, text: str) -> Sentiment:
        return self.score_many([text])[0]
