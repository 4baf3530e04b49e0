"""Sentiment backends: the shipped model loads and ranks obvious headlines; lexicon rules fire."""

from __future__ import annotations

import numpy as np
import pytest

from stockflow.news.domain import SentimentLabel
from stockflow.news.sentiment import modelfile
from stockflow.news.sentiment.lexicon import LexiconSentiment
from stockflow.news.sentiment.linear import LinearSentiment, default_model_path, model_card
from stockflow.news.sentiment.normalise import normalise
from stockflow.news.training.train_sentiment import build_pipeline


@pytest.fixture(scope="module")
def model() -> LinearSentiment:
    return LinearSentiment()


def test_shipped_model_scores_clear_headlines(model: LinearSentiment) -> None:
    bull, bear, flat = model.score_many([
        "Acme shares surge after earnings beat estimates and guidance raised",
        "Acme downgraded to sell, shares plunge on weak outlook",
        "Acme to present at investor conference on Tuesday",
    ])
    assert bull.label is SentimentLabel.BULLISH and bull.score > 0.3
    assert bear.label is SentimentLabel.BEARISH and bear.score < -0.3
    assert flat.label is SentimentLabel.NEUTRAL
    assert all(-1 <= s.score <= 1 and 0 <= s.confidence <= 1 for s in (bull, bear, flat))
    assert bull.model == "tfidf-logreg-en" and bull.version == model_card(model.path)["version"]


def test_model_card_carries_licence() -> None:
    card = model_card(default_model_path())
    assert "MIT" in card["licence"]


def test_model_file_with_an_object_array_is_refused(tmp_path) -> None:
    # An object array is a pickle inside the file, which could run code on load: refused.
    bad = tmp_path / "bad.npz"
    with np.load(default_model_path(), allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["coef"] = np.array([object()], dtype=object)
    np.savez(bad, **arrays)
    with pytest.raises(ValueError, match="plain-array"):
        LinearSentiment(bad).score("anything")


def test_model_file_round_trip_predicts_as_the_fitted_pipeline(tmp_path) -> None:
    # The file rebuilds the fitted objects from arrays: what it predicts must not change.
    texts = ["acme beats estimates", "acme misses estimates", "acme holds meeting",
             "shares surge on record profit", "shares slump after guidance cut",
             "company announces dividend date"] * 3
    pipeline = build_pipeline(c=3.0).set_params(features__words__min_df=1,
                                               features__chars__min_df=1)
    pipeline.fit(texts, [1, 0, 2, 1, 0, 2] * 3)
    modelfile.save(pipeline, tmp_path / "m.npz")
    loaded = modelfile.load(tmp_path / "m.npz")
    probe = ["acme surges", "guidance cut again", "unseen words entirely", ""]
    assert np.array_equal(loaded.predict_proba(probe), pipeline.predict_proba(probe))
    assert list(loaded.classes_) == [0, 1, 2]


def test_normalise_drops_urls_and_tickers() -> None:
    assert normalise("$NVDA Up 5% https://t.co/x") == "cashtag up 5%"


@pytest.mark.parametrize(("text", "label"), [
    ("Acme beats estimates", SentimentLabel.BULLISH),
    ("Acme misses estimates", SentimentLabel.BEARISH),
    ("Acme did not beat estimates", SentimentLabel.BEARISH),
    ("Acme shares are not falling", SentimentLabel.BULLISH),
    ("Acme holds annual meeting", SentimentLabel.NEUTRAL),
    ("Analyst raises price target on Acme", SentimentLabel.BULLISH),
])
def test_lexicon_rules(text: str, label: SentimentLabel) -> None:
    assert LexiconSentiment().score(text).label is label


def test_lexicon_intensifier_and_diminisher_scale_the_score() -> None:
    lex = LexiconSentiment()
    plain = lex.score("Acme shares fall").score
    assert lex.score("Acme shares sharply fall").score < plain < lex.score(
        "Acme shares slightly fall").score < 0


def test_lexicon_phrase_counts_once() -> None:
    # "price target cut" is one phrase, not the phrase plus the word "cut".
    from stockflow.news.sentiment.lexicon import raw_valence
    assert raw_valence("price target cut") == pytest.approx(-2.0)


def test_headline_with_a_full_stop_is_scored_whole(model: LinearSentiment) -> None:
    from stockflow.news.domain import Language, TickerMention
    from stockflow.news.sentiment.per_text import SentimentAnalyser

    analyser = SentimentAnalyser({Language.EN: model})
    outcome, per = analyser.article("Apple Inc. shares plunge after guidance cut", "",
                                    Language.EN, [TickerMention("AAPL", 1.0, ("Apple",))])
    assert outcome.sentiment is not None and outcome.sentiment.label is SentimentLabel.BEARISH
    assert per["AAPL"] == outcome.sentiment
    none, empty = SentimentAnalyser({}).article("Apple beats", "", Language.EN)
    assert none.sentiment is None and "en" in none.reason and empty == {}
