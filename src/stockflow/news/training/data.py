"""Reading the labelled financial-sentiment CSVs (columns text,label; 0 bearish 1 bullish 2 neutral)."""

from __future__ import annotations

import csv
from pathlib import Path

LABEL_NAMES = {0: "bearish", 1: "bullish", 2: "neutral"}


def read_labelled(path: Path) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    labels: list[int] = []
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["text"])
            labels.append(int(row["label"]))
    return texts, labels
