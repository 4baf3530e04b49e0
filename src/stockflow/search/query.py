"""The search box's syntax, parsed into a small AST that no engine query language ever sees raw.

words · "quoted phrases" · -exclusion · a OR b · field:value filters (ticker:NVDA, source:reuters,
sector:, lang:, ... ; comma for several values). Everything else (stray quotes and operators,
`NEAR(`, `*`, unknown `col:` prefixes, control characters) is read as plain words. Parsing never
fails: the worst input parses to an empty query.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Filters held in a column of their own (one value per document).
COLUMN_FILTERS = ("type", "sector", "industry", "exchange", "asset_class", "country", "source",
                  "lang", "sentiment")
# Filters on fields with several values per document.
TAG_FILTERS = ("ticker", "event_type")
FILTER_FIELDS = COLUMN_FILTERS + TAG_FILTERS
_FIELD_ALIASES = {"symbol": "ticker", "tickers": "ticker", "language": "lang", "event": "event_type",
                  "events": "event_type", "eventtype": "event_type", "assetclass": "asset_class",
                  "asset": "asset_class", "doctype": "type"}

# Bounds that keep one request's cost predictable; what goes beyond is dropped, and said so.
MAX_QUERY_CHARS = 512
MAX_CLAUSES = 16
MAX_ALTERNATIVES = 8
MAX_TERM_CHARS = 128
MAX_FILTER_VALUES = 16

_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z_]{1,32}):)?'
    r'(?:"(?P<phrase>[^"]*)(?:"|$)|(?P<word>[^\s"]+))')


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    """Any of `terms` (OR); a negated clause excludes documents matching any of them."""

    terms: tuple[Term, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    clauses: tuple[Clause, ...] = ()
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    excluded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    truncated: bool = False

    @property
    def positive(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    @property
    def negative(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.negated)

    @property
    def has_text(self) -> bool:
        return bool(self.clauses)

    def highlight_terms(self) -> list[str]:
        return [t.text for c in self.positive for t in c.terms]


def sanitise(text: str) -> str:
    """Control and format characters (NUL included) become spaces; the length is bounded."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch
                      for ch in text[: MAX_QUERY_CHARS * 2])
    return unicodedata.normalize("NFKC", cleaned)[:MAX_QUERY_CHARS]


def has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def canonical_field(name: str) -> str | None:
    key = name.lower()
    key = _FIELD_ALIASES.get(key, key)
    return key if key in FILTER_FIELDS else None


def parse(text: str) -> ParsedQuery:
    """Parse a search box string; never raises."""
    raw = text or ""
    cleaned = sanitise(raw)
    builder = _Builder(truncated=len(raw) > len(cleaned))
    for match in _TOKEN.finditer(cleaned):
        builder.add(match)
    return builder.result()


@dataclass
class _Builder:
    truncated: bool = False
    clauses: list[Clause] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    pending_or: bool = False

    def add(self, match: re.Match[str]) -> None:
        negated = match["neg"] is not None
        phrase = match["phrase"] is not None
        value = match["phrase"] if phrase else match["word"]
        name = match["field"]
        if name is not None:
            target = canonical_field(name)
            if target is not None and value and has_word(value):
                self._filter(target, value, negated)
                self.pending_or = False
                return
            value = f"{name}:{value}"  # an unknown field is read as plain words
        if not phrase and not negated and value == "OR":
            self.pending_or = bool(self.clauses) and not self.clauses[-1].negated
            return
        self._term(Term(value[:MAX_TERM_CHARS].strip(), phrase), negated)

    def _filter(self, name: str, value: str, negated: bool) -> None:
        bucket = (self.excluded if negated else self.filters).setdefault(name, [])
        for part in value.split(","):
            part = part.strip()[:MAX_TERM_CHARS]
            if not has_word(part) or part in bucket:
                continue
            if len(bucket) >= MAX_FILTER_VALUES:
                self.truncated = True
                return
            bucket.append(part)

    def _term(self, term: Term, negated: bool) -> None:
        if not has_word(term.text):
            return
        joins = self.pending_or and not negated
        self.pending_or = False
        if joins:
            last = self.clauses[-1]
            if len(last.terms) < MAX_ALTERNATIVES:
                self.clauses[-1] = Clause(last.terms + (term,))
            else:
                self.truncated = True
            return
        if len(self.clauses) >= MAX_CLAUSES:
            self.truncated = True
            return
        self.clauses.append(Clause((term,), negated))

    def result(self) -> ParsedQuery:
        return ParsedQuery(
            clauses=tuple(self.clauses),
            filters={k: tuple(v) for k, v in self.filters.items() if v},
            excluded={k: tuple(v) for k, v in self.excluded.items() if v},
            truncated=self.truncated)
