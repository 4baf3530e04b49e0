"""The shipped sentiment model's file: plain arrays in a NumPy `.npz`, read without pickle.

A TF-IDF + logistic-regression model is nothing but vocabularies, IDF weights and a coefficient
matrix, so the file holds exactly those and the fitted scikit-learn objects are rebuilt from
them. `np.load(allow_pickle=False)` refuses any object array, so a model file cannot run code.
(It replaced a skops file: loading skops imports every scikit-learn module to build its list of
trusted types, and through that torch when it is installed — 3 s of CPU and 335 MB of memory in
a server for a model that needs neither.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "stockflow-tfidf-lr/1"
# Constructor parameters that change what transform() computes; the rest only affect fitting.
_VECTORIZER_PARAMS = ("analyzer", "ngram_range", "lowercase", "sublinear_tf", "norm", "use_idf",
                      "smooth_idf", "strip_accents", "token_pattern", "binary")


def save(pipeline: Any, path: Path) -> None:
    """Write a fitted Pipeline(FeatureUnion(TfidfVectorizer…), LogisticRegression) to `path`."""
    features, clf = pipeline.named_steps["features"], pipeline.named_steps["clf"]
    if features.transformer_weights:
        raise ValueError("transformer weights are not stored in the model file")
    meta: dict[str, Any] = {"format": FORMAT, "vectorizers": []}
    arrays: dict[str, np.ndarray] = {
        "coef": np.asarray(clf.coef_, dtype=np.float64),
        "intercept": np.asarray(clf.intercept_, dtype=np.float64),
        "classes": np.asarray(clf.classes_, dtype=np.int64)}
    for name, vectorizer in features.transformer_list:
        params = vectorizer.get_params()
        meta["vectorizers"].append({"name": name, **{k: params[k] for k in _VECTORIZER_PARAMS}})
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        arrays[f"{name}.terms"] = np.asarray(terms, dtype=str)
        arrays[f"{name}.idf"] = np.asarray(vectorizer.idf_, dtype=np.float64)
    arrays["meta"] = np.asarray(json.dumps(meta))
    with path.open("wb") as out:
        np.savez_compressed(out, **arrays)


def load(path: Path) -> Any:
    """The fitted Pipeline back from `path`; a file with object arrays is refused."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except ValueError as exc:  # numpy's answer to an object array when pickle is off
        raise ValueError(f"sentiment model {path.name} is not a plain-array model file: "
                         f"{exc}") from exc
    meta = json.loads(str(arrays["meta"]))
    if meta.get("format") != FORMAT:
        raise ValueError(f"sentiment model {path.name} has format {meta.get('format')!r}, "
                         f"expected {FORMAT!r}")
    union = []
    for spec in meta["vectorizers"]:
        name = spec.pop("name")
        spec["ngram_range"] = tuple(spec["ngram_range"])
        vectorizer = TfidfVectorizer(**spec)
        vectorizer.vocabulary_ = {str(t): i for i, t in enumerate(arrays[f"{name}.terms"])}
        vectorizer.idf_ = arrays[f"{name}.idf"]
        union.append((name, vectorizer))
    clf = LogisticRegression()
    clf.coef_, clf.intercept_ = arrays["coef"], arrays["intercept"]
    clf.classes_ = arrays["classes"]
    clf.n_features_in_ = clf.coef_.shape[1]
    return Pipeline([("features", FeatureUnion(union)), ("clf", clf)])
