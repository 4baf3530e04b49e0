"""Evaluate sentiment backends on a labelled file none of them was fitted on.

    python -m stockflow.news.training.evaluate_sentiment --valid <dir>/sent_valid.csv

Prints accuracy and macro-F1 for a majority-class baseline (the training file's most frequent
label), VADER (vaderSentiment, MIT, compound ±0.05 as its authors suggest), StockFlow's lexicon and
the shipped model, all on the same rows.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score

from stockflow.news.sentiment.lexicon import LexiconSentiment
from stockflow.news.sentiment.linear import LinearSentiment
from stockflow.news.training.data import LABEL_NAMES, read_labelled

_VADER_EDGE = 0.05


def _vader() -> Callable[[str], str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()

    def predict(text: str) -> str:
        compound = analyser.polarity_scores(text)["compound"]
        if compound >= _VADER_EDGE:
            return "bullish"
        if compound <= -_VADER_EDGE:
            return "bearish"
        return "neutral"
    return predict


def _figures(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    return {"accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4)}


def evaluate(valid_csv: Path, train_csv: Path | None = None) -> dict[str, dict[str, float]]:
    texts, labels = read_labelled(valid_csv)
    truth = [LABEL_NAMES[label] for label in labels]
    majority_source = read_labelled(train_csv)[1] if train_csv else labels
    majority = LABEL_NAMES[Counter(majority_source).most_common(1)[0][0]]
    results = {"majority_class": _figures(truth, [majority] * len(truth))}
    vader = _vader()
    results["vader"] = _figures(truth, [vader(t) for t in texts])
    lexicon = LexiconSentiment()
    results["lexicon-en"] = _figures(truth, [lexicon.score(t).label.value for t in texts])
    model = LinearSentiment()
    results["tfidf-logreg-en"] = _figures(truth, [s.label.value for s in model.score_many(texts)])
    results["rows"] = {"count": float(len(texts))}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--valid", type=Path, required=True, help="sent_valid.csv")
    parser.add_argument("--train", type=Path, help="sent_train.csv, for the majority label")
    args = parser.parse_args()
    print(json.dumps(evaluate(args.valid, args.train), indent=2))



if __name__ == "__main__":
    main()
