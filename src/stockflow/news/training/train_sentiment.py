"""Train the shipped English sentiment model: TF-IDF (words + characters) → logistic regression.

    python -m stockflow.news.training.train_sentiment --train <dir>/sent_train.csv

The regularisation strength is chosen by 5-fold cross-validation on the training file alone, so
the validation file stays unseen until `evaluate_sentiment` reads it.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from stockflow.news.sentiment import modelfile
from stockflow.news.sentiment.linear import default_model_path
from stockflow.news.sentiment.normalise import normalise
from stockflow.news.training.data import read_labelled

VERSION = "1.0.0"
LICENCE_NOTE = (
    "Trained by StockFlow on the twitter-financial-news-sentiment dataset v1.0.0 (zeroshot), "
    "released under the MIT License. The model weights are distributed under StockFlow's "
    "licence (Apache-2.0); no training text is contained in the file beyond n-gram vocabulary.")


def build_pipeline(c: float = 10.0) -> Pipeline:
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=20_000)
    # Character n-grams catch inflections and hashtags ("#downgrade", "cuts"/"cut") that words miss.
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                            max_features=40_000)
    return Pipeline([("features", FeatureUnion([("words", words), ("chars", chars)])),
                     ("clf", LogisticRegression(C=c, max_iter=2000))])


def compact(model: Pipeline) -> Pipeline:
    """Drop what inference does not need."""
    for _, vectorizer in model.named_steps["features"].transformer_list:
        # The pruned terms are kept only for introspection (sklearn says it is safe to drop).
        vectorizer.stop_words_ = None
    return model


def train(train_csv: Path, out: Path) -> dict[str, object]:
    texts, labels = read_labelled(train_csv)
    # Shuffled folds: the file is grouped by label, so unshuffled folds would each miss a class.
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    search = GridSearchCV(build_pipeline(), {"clf__C": [3.0, 10.0, 30.0]}, cv=folds,
                          scoring="f1_macro", n_jobs=1)
    search.fit([normalise(t) for t in texts], labels)
    model = compact(search.best_estimator_)
    out.parent.mkdir(parents=True, exist_ok=True)
    modelfile.save(model, out)
    card = {"name": "tfidf-logreg-en", "version": VERSION,
            "trained_at": datetime.now(UTC).date().isoformat(), "training_rows": len(texts),
            "chosen_C": search.best_params_["clf__C"],
            "cv_macro_f1": round(float(search.best_score_), 4), "licence": LICENCE_NOTE}
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", "utf-8")
    return card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=Path, required=True, help="sent_train.csv")
    parser.add_argument("--out", type=Path, default=default_model_path())
    args = parser.parse_args()
    print(json.dumps(train(args.train, args.out), indent=2))


if __name__ == "__main__":
    main()
