"""Types of the intel context: a fact with its source and time, the bundle of them a brief is
written from (with a version that changes whenever a fact does), and the brief itself."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

TICKER, MARKET = "ticker", "market"
LLM, TEMPLATE = "llm", "template"


@dataclass(frozen=True, slots=True)
class Fact:
    id: str            # stable within a bundle: "quote.price", "ind.rsi_14", "news.1.title"
    name: str          # what a reader calls it
    value: Any         # a number, a string (a state, a headline, a signal action) or None
    unit: str          # "USD", "percent", "fraction", "index", "count", "text", ...
    source: str        # which context and method the value came from
    as_of: datetime | None

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, (int, float)) and not isinstance(self.value, bool)

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "value": self.value, "unit": self.unit,
                "source": self.source,
                "as_of": self.as_of.isoformat() if self.as_of is not None else None}


@dataclass(frozen=True, slots=True)
class FactsBundle:
    scope: str                      # ticker | market
    subject: str                    # the ticker, or "market"
    facts: tuple[Fact, ...]
    assembled_at: datetime
    missing: tuple[str, ...] = ()   # sources that answered nothing, with why
    # Text that came from outside the platform (headlines): quoted to the model as data.
    untrusted: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        """Changes whenever a fact's value, unit or time does (not when it was assembled)."""
        canon = orjson.dumps([f.to_wire() for f in self.facts], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canon).hexdigest()[:16]

    def by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    def to_wire(self) -> dict[str, Any]:
        return {"scope": self.scope, "subject": self.subject, "version": self.version,
                "assembled_at": self.assembled_at.isoformat(), "missing": list(self.missing),
                "facts": [f.to_wire() for f in self.facts]}


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens,
                     self.cost_usd + other.cost_usd)


@dataclass(frozen=True, slots=True)
class Brief:
    report_id: str
    scope: str
    subject: str
    text: str
    cites: tuple[str, ...]
    generated_by: str               # llm | template
    facts_version: str
    generated_at: datetime
    model: str | None = None
    attempts: int = 0               # LLM answers asked for (0 for the template)
    fallback_reason: str | None = None
    rejected: tuple[dict[str, Any], ...] = ()   # why each refused LLM answer was refused
    usage: Usage = field(default_factory=Usage)

    def to_wire(self) -> dict[str, Any]:
        return {"report_id": self.report_id, "scope": self.scope, "subject": self.subject,
                "text": self.text, "cites": list(self.cites), "generated_by": self.generated_by,
                "facts_version": self.facts_version,
                "generated_at": self.generated_at.isoformat(), "model": self.model,
                "attempts": self.attempts, "fallback_reason": self.fallback_reason,
                "rejected": list(self.rejected),
                "usage": {"prompt_tokens": self.usage.prompt_tokens,
                          "completion_tokens": self.usage.completion_tokens,
                          "cost_usd": round(self.usage.cost_usd, 8)}}

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Brief:
        u = d.get("usage") or {}
        return cls(d["report_id"], d["scope"], d["subject"], d["text"], tuple(d["cites"]),
                   d["generated_by"], d["facts_version"],
                   datetime.fromisoformat(d["generated_at"]), d.get("model"),
                   d.get("attempts", 0), d.get("fallback_reason"), tuple(d.get("rejected", ())),
                   Usage(u.get("prompt_tokens", 0), u.get("completion_tokens", 0),
                         u.get("cost_usd", 0.0)))


def bundle_from_wire(d: dict[str, Any]) -> FactsBundle:
    facts = tuple(Fact(f["id"], f["name"], f["value"], f["unit"], f["source"],
                       datetime.fromisoformat(f["as_of"]) if f["as_of"] else None)
                  for f in d["facts"])
    return FactsBundle(d["scope"], d["subject"], facts, datetime.fromisoformat(d["assembled_at"]),
                       tuple(d["missing"]),
                       tuple(f.value for f in facts if f.unit == "headline"))
