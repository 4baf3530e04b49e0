"""Text normalisation shared by sentiment training and inference (they must agree exactly)."""

from __future__ import annotations

import re

_URL = re.compile(r"https?://\S+|www\.\S+")
_CASHTAG = re.compile(r"\$[A-Za-z][A-Za-z0-9.\-]{0,11}\b")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-case, URLs dropped, cashtags replaced by one token.

    A ticker symbol carries no sentiment of its own; left in, the model learns which symbols were
    bearish in the training months, which does not carry over to other dates.
    """
    text = _URL.sub(" ", text)
    text = _CASHTAG.sub(" cashtag ", text)
    return _SPACES.sub(" ", text).strip().lower()
