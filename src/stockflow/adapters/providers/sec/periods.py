"""Quarters out of year-to-date filings: 10-Q flows are 3, 6 and 9 months from the fiscal-year
start, so Q2 = 6M − 3M, Q3 = 9M − 6M and Q4 = FY − 9M, unless a 3-month fact was filed."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from stockflow.adapters.providers.sec.facts import Fact, Span
from stockflow.analysis.domain import FactSource

_CUMULATIVE = (Span.QUARTER, Span.HALF, Span.NINE_MONTHS, Span.YEAR)


@dataclass(frozen=True, slots=True)
class PeriodValue:
    start: date
    value: float
    source: FactSource


def fiscal_year_starts(facts: Iterable[Fact]) -> list[date]:
    """A start date that opens a half, nine months or a year is a fiscal-year start."""
    return sorted({f.start for f in facts if f.start is not None
                   and f.span in (Span.HALF, Span.NINE_MONTHS, Span.YEAR)})


def fiscal_label(end: date, starts: list[date], year_ends: dict[date, date]) -> tuple[int, int]:
    """(fiscal year, quarter) of a period ending on `end`, named by the year's end date."""
    opened = [s for s in starts if s <= end]
    if not opened:
        return end.year, (end.month - 1) // 3 + 1
    start = opened[-1]
    year_end = year_ends.get(start, start + timedelta(days=364))
    while end > year_end + timedelta(days=7):
        # Past the last year on file (a Q1 10-Q before any 6-month fact): the next year.
        start = year_end + timedelta(days=1)
        year_end = start + timedelta(days=364)
    quarter = min(4, max(1, round(((end - start).days + 1) / 91.3)))
    return year_end.year, quarter


def quarters(facts: list[Fact], starts: list[date]) -> dict[date, PeriodValue]:
    """Quarter values of one concept by period end: filed 3-month facts first, then differences
    of consecutive year-to-date facts from one fiscal-year start."""
    out = {f.end: PeriodValue(f.start, f.value, f.source())  # type: ignore[arg-type]
           for f in facts if f.span is Span.QUARTER}
    for s in starts:
        chain = sorted((f for f in facts if f.start == s and f.span in _CUMULATIVE),
                       key=lambda f: f.end)
        for prev, cur in itertools.pairwise(chain):
            if cur.end in out or not 80 <= (cur.end - prev.end).days <= 105:
                continue
            method = "fy_minus_9m" if cur.span is Span.YEAR else "ytd_difference"
            out[cur.end] = PeriodValue(prev.end + timedelta(days=1), cur.value - prev.value,
                                       cur.source(method, (prev.accession, cur.accession)))
    return out


def years(facts: list[Fact]) -> dict[date, PeriodValue]:
    return {f.end: PeriodValue(f.start, f.value, f.source())  # type: ignore[arg-type]
            for f in facts if f.span is Span.YEAR}


def instants(facts: list[Fact]) -> dict[date, PeriodValue]:
    return {f.end: PeriodValue(f.end, f.value, f.source()) for f in facts
            if f.span is Span.INSTANT}
