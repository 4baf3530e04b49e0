"""A tiny BERT sequence classifier built and saved by the tests themselves, in the layout
`save_pretrained` writes for a real FinBERT: the transformer backend's loading and inference
code runs on it in a fraction of a second. Its scores mean nothing; its shape is real."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

import pytest

# Written for these tests; lower case, as the tokenizer lower-cases its input.
_TEXT = """
a an the of to in on for with and or but not no is are was were be been has have had will would
shares stock stocks price prices market markets company companies firm bank banks investor
investors analyst analysts quarter quarterly year annual revenue revenues sales profit profits
loss losses earnings income margin margins guidance outlook forecast estimate estimates target
dividend buyback deal merger acquisition lawsuit probe recall layoffs chip chips phone cloud
rise rises rose surge surges surged jump jumps jumped gain gains gained climb climbs rally
fall falls fell drop drops dropped slump slumps plunge plunges plunged slide slides sink sinks
beat beats miss misses missed raise raises raised cut cuts lower lowered upgrade upgraded
downgrade downgraded strong stronger weak weaker record high low higher lower best worst
growth decline declines steady flat mixed positive negative neutral bullish bearish upbeat
after before amid despite as than more less most least up down over under new old first last
apple nvidia amd tesla microsoft google amazon meta acme corp inc ltd
monday tuesday wednesday thursday friday today said says say expects expected sees saw
percent billion million one two three four five ten
. , ; : ! ? ' " - $ % ( ) 0 1 2 3 4 5 6 7 8 9
##s ##ed ##ing ##ly ##er ##est
"""
WORDS = list(dict.fromkeys(_TEXT.split()))  # a vocabulary holds each word once
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PLAIN = {0: "negative", 1: "neutral", 2: "positive"}
FINBERT = {0: "positive", 1: "negative", 2: "neutral"}  # ProsusAI/finbert's order


def libraries() -> tuple[ModuleType, ModuleType]:
    """torch and transformers. Skipped where they are not installed, except in CI (CI=true),
    where a missing library fails the run: the backend must be tested there."""
    if os.environ.get("CI") == "true":
        import torch
        import transformers
        return torch, transformers
    return pytest.importorskip("torch"), pytest.importorskip("transformers")


def build(folder: Path, id2label: Mapping[int, str] = PLAIN, *, seed: int = 0,
          probabilities: Sequence[float] | None = None, max_positions: int = 64,
          name_or_path: str | None = None) -> Path:
    """Save a tiny classifier into `folder`. With `probabilities` (one per class) the classifier
    ignores the text and answers exactly them (zero weights, bias = their logs)."""
    torch, transformers = libraries()
    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(SPECIAL + WORDS) + "\n", "utf-8")
    config = transformers.BertConfig(
        vocab_size=len(SPECIAL) + len(WORDS), hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=32, max_position_embeddings=max_positions,
        num_labels=len(id2label), id2label=dict(id2label),
        label2id={v: k for k, v in id2label.items()})
    torch.manual_seed(seed)
    model = transformers.BertForSequenceClassification(config).eval()
    if probabilities is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor([math.log(p) for p in probabilities]))
    model.save_pretrained(folder)
    transformers.BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True).save_pretrained(
        folder)
    if name_or_path is not None:  # as a config saved by an older transformers records it
        import json

        path = folder / "config.json"
        data = json.loads(path.read_text("utf-8"))
        path.write_text(json.dumps({**data, "_name_or_path": name_or_path}), "utf-8")
    return folder
