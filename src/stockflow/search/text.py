"""Text rules shared by every engine: CJK bigrams, highlighting and the suggest match score.

Chinese and Japanese have no spaces between words, and both engines' word tokenisers read a run
of such characters as one token. Indexing (and querying) every run as its overlapping character
bigrams makes a two-character query find any text containing it, whatever the engine.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from rapidfuzz.distance import OSA

# Han (with extension A and compatibility ideographs), Hiragana, Katakana, half-width Katakana.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u309f\u30a0-\u30ff"
                      r"\uff66-\uff9f\U00020000-\U0002ffff]+")
_WORD = re.compile(r"\w+", re.UNICODE)
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
# Crude English suffixes, so "chips" highlights "chip" and "rallied" highlights "rally".
_SUFFIXES = ("ing", "ies", "ied", "es", "ed", "s", "y")


def cjk_bigrams(text: str) -> str:
    """Each run of CJK characters becomes its space-separated bigrams (a lone character stays)."""

    def split(match: re.Match[str]) -> str:
        run = match.group(0)
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i:i + 2] for i in range(len(run) - 1)) + " "

    return _CJK_RUN.sub(split, text)


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


def index_text(text: str | None) -> str:
    """The form a text is indexed (and a query term searched) in, on every engine."""
    return cjk_bigrams(text or "")


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=256)
def _matcher(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for all terms: a word starting with a term's stem, or a CJK run anywhere.
    Cached: a page highlights twenty hits' titles and bodies with the same terms."""
    parts: set[str] = set()
    for term in terms:
        parts.update(re.escape(run) for run in _CJK_RUN.findall(term))
        parts.update(r"(?<!\w)" + re.escape(_stem(w)) + r"\w*"
                     for w in _WORD.findall(_CJK_RUN.sub(" ", term)))
    if not parts:
        return None
    # longest first, so a longer term wins over its own prefix at one position
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    pattern = _matcher(tuple(terms))
    return [] if pattern is None else [m.span() for m in pattern.finditer(text)]


def highlight(text: str, terms: list[str], *, width: int = 160) -> str | None:
    """An HTML-escaped fragment of `text` around its first match, matches in <mark>; None if none.

    Done here rather than by the engine so that both engines answer alike, CJK included, and
    a document's own markup can never pass through unescaped."""
    if not text or not terms:
        return None
    spans = _spans(text, terms)
    if not spans:
        return None
    first = spans[0][0]
    start = max(0, first - width // 3)
    if start > 0:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and first - space < width // 2 else start
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out += [html.escape(text[pos:s]), MARK_OPEN, html.escape(text[s:e]), MARK_CLOSE]
        pos = e
    out.append(html.escape(text[pos:end]))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


def trigrams(text: str) -> list[str]:
    """Lower-cased character trigrams of a query, as FTS5's trigram tokenizer cuts them."""
    text = text.lower()
    return sorted({text[i:i + 3] for i in range(len(text) - 2) if text[i:i + 3].strip()})


def typo_pieces(text: str) -> list[str]:
    """Substrings of the typed text of which at least one survives one typo (two from nine
    characters on): the trigram index finds names containing any of them far more cheaply
    than names sharing any one trigram. Short input falls back to its trigrams."""
    q = text.lower().strip()
    if len(q) < 6:
        return trigrams(q)
    k = 2 if len(q) < 9 else 3
    size = len(q) / k
    return sorted({q[round(i * size):round((i + 1) * size)] for i in range(k)})


# The best score a typo match can have: a suggestion list filled with better matches than this
# cannot change by looking for typos.
ONE_TYPO = 0.7


def match_quality(query: str, ticker: str, name: str, aliases: tuple[str, ...]) -> tuple[float, str]:
    """How well a typed prefix matches a symbol, in [0, 1], and what it matched.

    Exact ticker 1.0 · ticker prefix 0.9 · name/alias word prefix 0.8 · then one or two typos
    (insertion, deletion, substitution, swap) against the ticker or the start of a name word:
    0.7 for one, 0.55 for two; two are allowed from five typed characters on."""
    q = query.strip().lower()
    if not q:
        return 0.0, ""
    t = ticker.lower()
    if q == t:
        return 1.0, "ticker"
    if t.startswith(q):
        return 0.9 - 0.01 * (len(t) - len(q)), "ticker"
    names = [("name", name.lower())] + [("alias", a.lower()) for a in aliases]
    for what, text in names:
        if text.startswith(q) or f" {q}" in f" {text}":
            return 0.8, what
    if len(q) < 3:  # one typo in two letters matches half the universe
        return 0.0, ""
    budget = 1 if len(q) < 5 else 2
    best, matched = budget + 1, ""
    for what, word in [("ticker", t)] + [(w, part) for w, text in names for part in text.split()]:
        # compare with the word's start cut at every length the typos could have shifted it to
        for cut in range(len(q) - budget, len(q) + budget + 1):
            if cut > 0:
                d = OSA.distance(q, word[:cut], score_cutoff=budget)
                if d < best:
                    best, matched = d, what
    if best > budget:
        return 0.0, ""
    return (ONE_TYPO if best == 1 else 0.55), matched
