"""The transformer sentiment backend on a tiny model the tests build: it loads local files only,
scores in range, deterministically and the same in a batch as one by one, truncates long
text, reads its labels from the model's config (refusing ones it cannot map), says which model
answered, and a wrong setup is a settings error naming the fix."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from stockflow.adapters.providers.simulated.universe import default_universe
from stockflow.news.analysis import LazyAnalyser
from stockflow.news.config import NewsSettings
from stockflow.news.domain import Language, RawArticle, SentimentLabel
from stockflow.news.neardup import NearDuplicateIndex
from stockflow.news.ports import InMemoryArticleStore
from stockflow.news.sentiment.transformer import (
    ModelSetupError,
    TransformerSentiment,
    model_name,
    model_version,
)
from stockflow.news.service import NewsService
from stockflow.testing.fakes import FakeClock
from tests.unit.news import tiny_model

tiny_model.libraries()  # skip the module where torch is missing (never in CI)

T0 = datetime(2026, 1, 6, 13, 0, tzinfo=UTC)
TEXTS = ["Acme shares surge after earnings beat estimates",
         "Acme shares plunge after guidance cut",
         "Acme to hold annual meeting on Tuesday",
         "Nvidia raised its dividend. AMD missed revenue estimates."]


@pytest.fixture(scope="module")
def random_model(tmp_path_factory):
    return tiny_model.build(tmp_path_factory.mktemp("random"), seed=3)


@pytest.fixture(scope="module")
def backend(random_model) -> TransformerSentiment:
    model = TransformerSentiment(random_model, batch=3)
    model.load()
    return model


def test_scores_are_in_range_and_name_the_model(backend, random_model):
    scored = backend.score_many(TEXTS)
    assert len(scored) == len(TEXTS)
    for s in scored:
        assert -1 <= s.score <= 1 and 0 <= s.confidence <= 1
        assert s.label in set(SentimentLabel)
    assert {s.model for s in scored} == {f"transformer:{random_model.name}"}
    assert {s.version for s in scored} == {model_version(random_model)}
    assert backend.score_many([]) == []


def test_same_model_same_answers(backend, random_model):
    again = TransformerSentiment(random_model)
    assert again.score_many(TEXTS) == backend.score_many(TEXTS)


def test_a_batch_answers_as_one_text_at_a_time(backend):
    # Padding must not leak into the answer: the attention mask hides it.
    batched = backend.score_many(TEXTS)
    alone = [backend.score(t) for t in TEXTS]
    for b, a in zip(batched, alone, strict=True):
        assert b.label is a.label
        assert b.score == pytest.approx(a.score, abs=2e-4)
        assert b.confidence == pytest.approx(a.confidence, abs=2e-4)


def test_text_longer_than_the_model_reads_is_truncated(backend):
    # The saved tokenizer has no length limit of its own; the model reads 64 positions.
    long = backend.score("shares surge after earnings beat " * 2000)
    assert -1 <= long.score <= 1


@pytest.mark.parametrize(("labels", "probs", "label", "score"), [
    (tiny_model.PLAIN, (0.1, 0.2, 0.7), SentimentLabel.BULLISH, 0.6),
    (tiny_model.PLAIN, (0.8, 0.15, 0.05), SentimentLabel.BEARISH, -0.75),
    (tiny_model.FINBERT, (0.7, 0.1, 0.2), SentimentLabel.BULLISH, 0.6),
    (tiny_model.FINBERT, (0.2, 0.1, 0.7), SentimentLabel.NEUTRAL, 0.1),
    ({0: "Bearish", 1: "NEUTRAL", 2: "bullish"}, (0.6, 0.3, 0.1), SentimentLabel.BEARISH, -0.5),
    ({0: "positive", 1: "negative"}, (0.25, 0.75), SentimentLabel.BEARISH, -0.5),
])
def test_labels_come_from_the_models_config(tmp_path, labels, probs, label, score):
    folder = tiny_model.build(tmp_path / "m", labels, probabilities=probs)
    s = TransformerSentiment(folder).score("Acme shares rise")
    assert s.label is label
    assert s.score == pytest.approx(score, abs=1e-4)
    assert s.confidence == pytest.approx(max(probs), abs=1e-4)


@pytest.mark.parametrize("labels", [
    {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"},
    {0: "positive", 1: "positive", 2: "negative"},
    {0: "positive", 1: "neutral"},
])
def test_labels_that_cannot_be_mapped_are_refused_at_load(tmp_path, labels):
    folder = tiny_model.build(tmp_path / "m", labels)
    with pytest.raises(ModelSetupError, match="labels"):
        TransformerSentiment(folder).load()
    with pytest.raises(ValidationError, match="labels"):
        NewsSettings(sentiment_backend="transformer", transformer_path=folder)


def test_a_wrong_setup_is_a_settings_error_naming_the_fix(tmp_path, monkeypatch):
    with pytest.raises(ValidationError, match="STOCKFLOW_NEWS__TRANSFORMER_PATH"):
        NewsSettings(sentiment_backend="transformer")
    with pytest.raises(ValidationError, match="not a model folder"):
        NewsSettings(sentiment_backend="transformer", transformer_path=tmp_path / "absent")
    with pytest.raises(ModelSetupError, match="TRANSFORMER_PATH"):
        TransformerSentiment().load()
    # A path of the transformer is ignored by the other backends.
    assert NewsSettings(transformer_path=tmp_path).sentiment_model_path is None

    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(ValidationError, match="needs torch installed"):
        NewsSettings(sentiment_backend="transformer", transformer_path=tmp_path)


def test_a_broken_weights_file_is_a_setup_error(tmp_path):
    folder = tiny_model.build(tmp_path / "m")
    (folder / "model.safetensors").write_bytes(b"not a model")
    with pytest.raises(ModelSetupError, match="could not be loaded"):
        TransformerSentiment(folder).load()


def test_version_changes_with_the_weights_and_name_never_shows_a_local_path(tmp_path):
    one = tiny_model.build(tmp_path / "one", seed=1)
    two = tiny_model.build(tmp_path / "two", seed=2)  # same sizes, other weights
    assert model_version(one) != model_version(two)
    assert model_version(one) == model_version(one)
    assert model_name(one, {"_name_or_path": "ProsusAI/finbert"}) == "transformer:ProsusAI/finbert"
    assert model_name(one, {"_name_or_path": str(tmp_path / "x")}) == "transformer:one"
    named = tiny_model.build(tmp_path / "named", name_or_path="ProsusAI/finbert")
    assert TransformerSentiment(named).score("up").model == "transformer:ProsusAI/finbert"


async def test_the_news_pipeline_runs_on_the_transformer(tmp_path):
    folder = tiny_model.build(tmp_path / "finbert", tiny_model.FINBERT,
                              probabilities=(0.7, 0.1, 0.2))
    settings = NewsSettings(sentiment_backend="transformer", transformer_path=folder)
    instruments = [listing.instrument for listing in default_universe()]
    analyser = LazyAnalyser(lambda: instruments, settings.sentiment_backend,
                            settings.sentiment_model_path)
    news = NewsService(InMemoryArticleStore(), analyser, NearDuplicateIndex(), FakeClock(T0),
                       settings)
    await news.ready()
    # The model runs off the event loop (about a second an article at FinBERT's size).
    threads: list[int] = []
    built = analyser._built
    original = built.analyse

    def analyse(*args, **kwargs):
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    built.analyse = analyse
    en = await news.ingest(RawArticle(
        source="Wire", url="https://wire.test/1", title="Nvidia shares rise",
        body="Nvidia raised its outlook. AMD shares fell after it cut guidance.",
        published_at=T0, language="en"))
    article = en.article
    assert article.sentiment is not None and article.sentiment.label is SentimentLabel.BULLISH
    assert article.sentiment.model == "transformer:finbert"
    assert article.sentiment.version == model_version(folder)
    assert {"NVDA", "AMD"} <= set(article.ticker_sentiment)
    assert all(s.model == "transformer:finbert" for s in article.ticker_sentiment.values())
    assert (await news.analyse("Nvidia shares rise")).sentiment is not None
    assert len(threads) == 2 and threading.get_ident() not in threads
    # Chinese and Japanese keep their rule: no English model's guess.
    zh = await news.ingest(RawArticle(
        source="Wire", url="https://wire.test/2", title="英伟达股价上涨，财报超出预期",
        body="", published_at=T0, language="zh"))
    assert zh.article.language is Language.ZH
    assert zh.article.sentiment is None and "licence" in zh.article.sentiment_reason


def test_importing_the_news_context_loads_neither_torch_nor_transformers():
    code = ("import sys\n"
            "import stockflow.news.module, stockflow.news.analysis, stockflow.news.config\n"
            "import stockflow.news.sentiment.transformer\n"
            "from stockflow.news.config import NewsSettings\n"
            "NewsSettings()\n"
            "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
