"""The number checker and the policy guard every LLM brief passes before anyone reads it.

Numbers: each number written in the brief must equal a numeric fact of the bundle as shown,
that is within half a unit of its last written digit ("180" and "180.4" both match 180.37);
a number written with a percent sign matches a fact in percent, or a fraction fact times 100;
magnitudes ("2.5 billion", "2.5bn") scale the number and its tolerance; signs are not compared
("fell 2.3 %" for a change of -2.3). Not numbers to check: ISO dates and times, years 1900-2100
written alone, tickers and identifiers (a digit right after a letter: "Q3", "RSI14"), fact ids in
citations, and the parameters named in the facts themselves (the 14 of "RSI 14", the 95 of
"VaR 95 %", the 7 of "7-day forecast"), which are collected from fact names.

A verbatim quotation of a text fact (a headline in "..." or “...”) is the source's words, not
the brief's claim: it is taken out before numbers and policy are checked.

Citations: `[fact.id]` or `[a.id, b.id]`; an id the bundle lacks is refused, and so is a brief
that cites nothing. Policy: a brief reports facts and gives no advice, so trade calls ("BUY",
"you should sell", "buy now") and echoes of injected instructions are refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from stockflow.intel.domain import FactsBundle

CITATION = re.compile(r"\[([a-z][a-z0-9_.\-]*(?:\s*,\s*[a-z][a-z0-9_.\-]*)*)\]")
DATE_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                       r"(?:Z|[+-]\d{2}:?\d{2})?)?\b|\b\d{1,2}:\d{2}(?::\d{2})?\b")
NUMBER = re.compile(
    r"(?<![\w.])(?:[$€£₹¥]\s?)?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b)|\s?(?P<mag>trillion|billion|million|thousand"
    r"|tn|bn|mn|[kKmMbBtT])(?![A-Za-z]))?")
MAGNITUDE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9,
             "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "t": 1e12}
YEAR = range(1900, 2101)
POLICY = (
    ("injected instruction", re.compile(
        r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) instructions", re.IGNORECASE)),
    ("trade call", re.compile(r"\b(?:BUY|SELL)\b")),
    ("trade call", re.compile(r"\b(?:you should|we recommend|i recommend|recommend(?:ed)?|"
                              r"strong|must)\s+(?:buy|sell)", re.IGNORECASE)),
    ("trade call", re.compile(r"\b(?:buy|sell)\s+(?:now|rating|recommendation|immediately|"
                              r"today|it|this stock)\b", re.IGNORECASE)),
)


@dataclass(frozen=True, slots=True)
class Written:
    text: str
    value: float        # as written, without sign, magnitude applied
    tolerance: float    # half a unit of the last written digit, magnitude applied
    percent: bool


@dataclass
class Verdict:
    cites: list[str] = field(default_factory=list)
    unknown_numbers: list[str] = field(default_factory=list)
    unknown_citations: list[str] = field(default_factory=list)
    policy: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.cites) and not (self.unknown_numbers or self.unknown_citations
                                         or self.policy)

    def reason(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if not self.cites:
            out["no_citation"] = True
        for key in ("unknown_numbers", "unknown_citations", "policy"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


def citations(text: str) -> list[str]:
    ids: list[str] = []
    for m in CITATION.finditer(text):
        ids += [i.strip() for i in m.group(1).split(",") if i.strip() not in ids]
    return ids


def numbers(text: str, tickers: set[str] = frozenset()) -> list[Written]:
    """The numbers a reader sees, with what is not a number to check taken out first."""
    text = CITATION.sub(" ", text)
    text = DATE_TIME.sub(" ", text)
    for t in sorted(tickers, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.]){re.escape(t)}(?![\w])", " ", text)
    out = []
    for m in NUMBER.finditer(text):
        digits = m.group("int").replace(",", "")
        frac = m.group("frac") or ""
        value = float(digits + frac)
        if not frac and not m.group("pct") and not m.group("mag") and int(value) in YEAR \
                and len(digits) == 4:
            continue
        scale = MAGNITUDE[m.group("mag").lower()] if m.group("mag") else 1.0
        decimals = len(frac) - 1 if frac else 0
        out.append(Written(m.group(0).strip(), value * scale,
                           0.5 * 10 ** -decimals * scale * (1 + 1e-9) + 1e-12,
                           bool(m.group("pct"))))
    return out


def constants(bundle: FactsBundle) -> set[float]:
    """Parameters named in the facts ("RSI 14", "VaR 95 % 1-day"): numbers, but not values."""
    found: set[float] = set()
    for f in bundle.facts:
        for m in re.finditer(r"\d+(?:\.\d+)?", f.name):
            found.add(float(m.group(0)))
    return found


def _matches(w: Written, value: float, unit: str) -> bool:
    v = abs(value)
    if w.percent:
        candidates = [v * 100] if unit == "fraction" else [v] if unit == "percent" else []
    else:
        candidates = [v]
    return any(abs(w.value - c) <= w.tolerance for c in candidates if math.isfinite(c))


def unquoted(text: str, bundle: FactsBundle) -> str:
    """The text without verbatim quotations of the bundle's text facts."""
    for f in bundle.facts:
        if isinstance(f.value, str) and len(f.value) >= 8:
            for left, right in (('"', '"'), ("\u201c", "\u201d"), ("'", "'")):
                text = text.replace(f"{left}{f.value}{right}", " ")
    return text


def check(text: str, bundle: FactsBundle) -> Verdict:
    verdict = Verdict()
    known = bundle.by_id()
    for i in citations(text):
        (verdict.cites if i in known else verdict.unknown_citations).append(i)
    text = unquoted(text, bundle)
    values = [(float(f.value), f.unit) for f in bundle.facts if f.numeric]
    allowed = constants(bundle)
    tickers = {bundle.subject} | {str(f.value) for f in bundle.facts if f.unit == "ticker"}
    for w in numbers(text, tickers):
        if any(_matches(w, v, u) for v, u in values):
            continue
        if w.value in allowed:
            continue
        verdict.unknown_numbers.append(w.text)
    for label, pattern in POLICY:
        if pattern.search(text) and label not in verdict.policy:
            verdict.policy.append(label)
    return verdict
