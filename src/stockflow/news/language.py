"""Language detection (en / zh / ja / other) by script and function words; search tokens per language.

Script decides between Chinese and Japanese (kana only occur in Japanese); among Latin-script
texts, English is told from the rest by its most frequent function words. No model download.
"""

from __future__ import annotations

import re
import unicodedata

from stockflow.news.domain import Language

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ']+")
_EN = frozenset(["the", "of", "and", "to", "in", "is", "for", "on", "with", "as", "at", "by", "from", "that", "this", "its", "are", "was", "be", "has", "have", "will", "after", "over", "amid", "says", "said", "than", "into", "shares", "stock"])
_OTHER = frozenset(["der", "die", "das", "und", "ist", "mit", "für", "auf", "von", "den", "dem", "des", "ein", "eine", "nicht", "zu", "im", "le", "la", "les", "et", "est", "une", "des", "du", "pour", "dans", "sur", "pas", "el", "los", "las", "y", "en", "con", "por", "del", "il", "di", "che", "per", "non", "della", "het", "een", "van", "op", "ist"])
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def detect_language(text: str) -> Language:
    sample = unicodedata.normalize("NFKC", text[:4000])
    kana = len(_KANA.findall(sample))
    han = len(_HAN.findall(sample))
    words = [w.lower() for w in _LATIN_WORD.findall(sample)]
    letters = kana + han + sum(len(w) for w in words)
    if not letters:
        return Language.OTHER
    if kana and kana / letters > 0.05:
        return Language.JA
    if han / letters > 0.2:
        return Language.ZH
    english = sum(w in _EN for w in words)
    other = sum(w in _OTHER for w in words)
    if english > other or (english == other and _ascii_share(words) > 0.98 and words):
        return Language.EN
    return Language.OTHER


def _ascii_share(words: list[str]) -> float:
    chars = "".join(words)
    return sum(c.isascii() for c in chars) / max(1, len(chars))


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) < 2 else [run[i:i + 2] for i in range(len(run) - 1)]


def search_tokens(text: str, language: Language) -> list[str]:
    """Tokens for full-text search: words for Latin scripts; jieba words for Chinese;
    character bigrams for Japanese (and for Han text when jieba is not installed)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if language is Language.ZH:
        try:
            return _jieba_tokens(folded)
        except ImportError:
            pass
    tokens: list[str] = []
    for word in _WORD_RE.findall(folded):
        runs = _CJK_RUN.findall(word)
        if runs:
            for run in runs:
                tokens.extend(_bigrams(run))
            rest = _CJK_RUN.sub(" ", word).split()
            tokens.extend(rest)
        else:
            tokens.append(word)
    return tokens


def _jieba_tokens(text: str) -> list[str]:
    import jieba  # MIT; loads its dictionary on first use, not at import of this module

    jieba.setLogLevel(60)  # its INFO lines about building the prefix dict are noise
    return [t for t in jieba.lcut_for_search(text) if _WORD_RE.fullmatch(t)]
