"""Company facts (`api/xbrl/companyfacts`) as typed facts with periods from their own dates.

`fy`/`fp` name the filing a fact appeared in, not the period it covers (a 10-K for FY2025
carries FY2024 comparatives tagged fy=2025), so they are never read: a fact's period is its
`start`/`end`, and its length says whether it is a quarter, a year-to-date or a year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from stockflow.analysis.domain import FactSource, Version
from stockflow.core.resilience.errors import ProviderBadData

NAME = "sec"


class Span(StrEnum):
    QUARTER = "quarter"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    YEAR = "year"
    INSTANT = "instant"
    OTHER = "other"


# Days covered, inclusive; 52/53-week years make quarters of 13 or 14 weeks.
_SPANS = ((80, 105, Span.QUARTER), (170, 195, Span.HALF), (260, 285, Span.NINE_MONTHS),
          (350, 380, Span.YEAR))


@dataclass(frozen=True, slots=True)
class Fact:
    taxonomy: str
    concept: str
    unit: str
    start: date | None
    end: date
    value: float
    accession: str
    form: str
    filed: date

    @property
    def span(self) -> Span:
        if self.start is None:
            return Span.INSTANT
        days = (self.end - self.start).days + 1
        return next((s for lo, hi, s in _SPANS if lo <= days <= hi), Span.OTHER)

    def source(self, method: str = "reported", inputs: tuple[str, ...] = ()) -> FactSource:
        return FactSource(NAME, f"{self.taxonomy}:{self.concept}", self.accession, self.form,
                          self.filed, method, inputs)


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


def parse_facts(body: Any) -> list[Fact]:
    """Every numeric fact of a companyfacts body; a fact without readable dates is skipped,
    so one malformed fact costs that fact, not the company."""
    if not isinstance(body, dict) or not isinstance(body.get("facts"), dict):
        raise ProviderBadData(NAME, "companyfacts body without a 'facts' object")
    out: list[Fact] = []
    for taxonomy, concepts in body["facts"].items():
        for concept, meta in (concepts or {}).items():
            for unit, rows in ((meta or {}).get("units") or {}).items():
                for row in rows or []:
                    fact = _fact(taxonomy, concept, unit, row)
                    if fact is not None:
                        out.append(fact)
    return out


def _fact(taxonomy: str, concept: str, unit: str, row: Any) -> Fact | None:
    if not isinstance(row, dict) or "end" not in row or "filed" not in row:
        return None
    value = row.get("val")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    start = _date(row["start"]) if row.get("start") else None
    end, filed = _date(row["end"]), _date(row["filed"])
    if end is None or filed is None or (row.get("start") and start is None):
        return None
    return Fact(taxonomy, concept, unit, start, end, value, str(row.get("accn", "")),
                str(row.get("form", "")), filed)


def pick(facts: Iterable[Fact], version: Version) -> dict[tuple[str, date | None, date], Fact]:
    """One fact per (concept, start, end): the first filed, or the last filed (restated)."""
    chosen: dict[tuple[str, date | None, date], Fact] = {}
    for f in facts:
        key = (f.concept, f.start, f.end)
        kept = chosen.get(key)
        if kept is None or (f.filed < kept.filed if version is Version.REPORTED
                            else f.filed > kept.filed):
            chosen[key] = f
    return chosen
