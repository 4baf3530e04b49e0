"""A local FinBERT-style sequence classifier as the English sentiment backend
(`sentiment_backend = "transformer"`), read from `transformer_path` and never downloaded.

torch and transformers are imported only when the model is loaded: a process that chose another
backend, or that never analyses, does not pay for them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stockflow.news.domain import Sentiment, SentimentLabel
from stockflow.news.sentiment.scoring import from_probabilities

LIBRARIES = ("torch", "transformers")
# Class names as models spell them (FinBERT: positive, negative, neutral), compared case-folded.
LABEL_NAMES = {"positive": SentimentLabel.BULLISH, "bullish": SentimentLabel.BULLISH,
               "negative": SentimentLabel.BEARISH, "bearish": SentimentLabel.BEARISH,
               "neutral": SentimentLabel.NEUTRAL}
BATCH = 16  # texts per forward pass; an article's headline and sentences are mostly fewer
# A fine-tune of the same architecture has files of the same sizes, so the version also hashes
# each file's tail: the classifier head sits at the end of a safetensors file, and the zip index
# closing a torch .bin holds every tensor's CRC.
_TAIL = 1 << 20
_IDENTITY_SUFFIXES = (".json", ".safetensors", ".bin", ".txt", ".model")


class ModelSetupError(RuntimeError):
    """The configured model cannot serve: a settings problem, never an article's fault (so the
    news handler does not dead-letter articles for it as it does malformed ones)."""


def label_columns(id2label: Mapping[Any, Any]) -> dict[SentimentLabel, int]:
    """Which output column is bearish, neutral and bullish; a model whose classes are not all
    positive/bullish, negative/bearish or neutral (each once, the first two required) is refused:
    a guess at "LABEL_0" could flip every score's sign."""
    columns: dict[SentimentLabel, int] = {}
    for key, name in sorted(id2label.items(), key=lambda kv: int(kv[0])):
        label = LABEL_NAMES.get(str(name).strip().casefold())
        if label is None or label in columns:
            raise ModelSetupError(
                f"transformer model labels {dict(id2label)} cannot be mapped: each class must be "
                "one of positive/bullish, negative/bearish, neutral, each once")
        columns[label] = int(key)
    if {SentimentLabel.BULLISH, SentimentLabel.BEARISH} - set(columns):
        raise ModelSetupError(f"transformer model labels {dict(id2label)} need both a positive "
                              "(bullish) and a negative (bearish) class")
    return columns


def read_config(path: Path | None) -> dict[str, Any]:
    """The model folder's config.json, after checking what can be checked without torch (the
    libraries are installed, the folder holds a model, its labels map); the settings call it so
    a wrong setup stops the start with this message."""
    if path is None:
        raise ModelSetupError("sentiment_backend=transformer needs STOCKFLOW_NEWS__TRANSFORMER_PATH"
                              ": the folder of a local FinBERT-style model")
    missing = [name for name in LIBRARIES if importlib.util.find_spec(name) is None]
    if missing:
        raise ModelSetupError(
            f"sentiment_backend=transformer needs {' and '.join(missing)} installed: "
            "`pip install 'stockflow[transformer]'` and a torch build for this machine")
    config = path / "config.json"
    if not config.is_file():
        raise ModelSetupError(f"transformer_path {path} is not a model folder (no config.json; "
                              "save the model there with save_pretrained)")
    try:
        data = json.loads(config.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise ModelSetupError(f"transformer model config {config} is unreadable: {e}") from None
    label_columns(data.get("id2label") or {})
    return data


def model_name(path: Path, config: Mapping[str, Any]) -> str:
    """The model's own name when its config records one ("ProsusAI/finbert"), else the folder's;
    never a full local path, which would leak the operator's file layout into API answers."""
    origin = str(config.get("_name_or_path") or "").strip()
    if not origin or origin.startswith(("/", ".", "~")) or "\\" in origin or ":" in origin:
        origin = path.resolve().name
    return f"transformer:{origin}"


def model_version(path: Path) -> str:
    """A fingerprint of the files that make the model: names, sizes and tails."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.iterdir()
                       if p.is_file() and p.suffix in _IDENTITY_SUFFIXES):
        size = file.stat().st_size
        digest.update(f"{file.name}\0{size}\0".encode())
        with file.open("rb") as f:
            f.seek(max(0, size - _TAIL))
            digest.update(f.read())
    return digest.hexdigest()[:12]


class TransformerSentiment:
    """English sentiment from a local sequence classifier, on the CPU: score = p(positive) −
    p(negative), label = the most probable class, confidence = its probability."""

    languages = frozenset({"en"})
    # About a second of CPU an article at FinBERT's size: analyses run in a thread (torch
    # releases the GIL), not on the event loop (see NewsService.off_loop).
    blocking = True

    def __init__(self, path: Path | None = None, *, batch: int = BATCH) -> None:
        self.path = path
        self.batch = batch
        self.name = "transformer"
        self.version = "unloaded"
        self._loaded: tuple[Any, Any, int, dict[SentimentLabel, int]] | None = None

    def load(self) -> None:
        """Read the model now (a server does it off the event loop, before the first article)."""
        self._model()

    def _model(self) -> tuple[Any, Any, int, dict[SentimentLabel, int]]:
        if self._loaded is None:
            config = read_config(self.path)
            assert self.path is not None  # read_config refused None
            self._loaded = _load(self.path)
            self.name, self.version = model_name(self.path, config), model_version(self.path)
        return self._loaded

    def score_many(self, texts: Sequence[str]) -> list[Sentiment]:
        if not texts:
            return []
        import torch

        tokenizer, model, max_length, columns = self._model()
        bear, neutral, bull = (columns.get(label) for label in (
            SentimentLabel.BEARISH, SentimentLabel.NEUTRAL, SentimentLabel.BULLISH))
        out: list[Sentiment] = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch):
                chunk = list(texts[start:start + self.batch])
                encoded = tokenizer(chunk, padding=True, truncation=True, max_length=max_length,
                                    return_tensors="pt")
                probs = torch.softmax(model(**encoded).logits.float(), dim=-1).tolist()
                out += [from_probabilities(p[bear], p[neutral] if neutral is not None else 0.0,
                                           p[bull], model=self.name, version=self.version)
                        for p in probs]
        return out

    def score(self, text: str) -> Sentiment:
        return self.score_many([text])[0]


def _load(path: Path) -> tuple[Any, Any, int, dict[SentimentLabel, int]]:
    """Tokenizer, model in eval mode on the CPU, the longest input it takes, its label columns."""
    try:
        import torch  # noqa: F401  (fail here, with the setup message, if torch is broken)
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as e:
        raise ModelSetupError(f"sentiment_backend=transformer cannot import its libraries: {e}"
                              ) from None
    hf_logging.disable_progress_bar()  # a progress bar per load is noise in a server's log
    folder = str(path.resolve())
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True)
    except Exception as e:  # noqa: BLE001 - whatever the library raises, the folder is wrong
        raise ModelSetupError(f"transformer model in {path} could not be loaded: "
                              f"{type(e).__name__}: {e}") from None
    model.to("cpu").eval()
    # A tokenizer saved without a limit reports a huge model_max_length; the position
    # embeddings are the real ceiling of what the model can read.
    limits = [n for n in (getattr(tokenizer, "model_max_length", None),
                          getattr(model.config, "max_position_embeddings", None))
              if isinstance(n, int) and n > 0]
    return tokenizer, model, min(limits, default=512), label_columns(model.config.id2label)
