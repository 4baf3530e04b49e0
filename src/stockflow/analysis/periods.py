"""Periods to analyse: one period's three statements side by side, trailing twelve months
built from quarters, and the period a year before (for averages, growth and Piotroski)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from stockflow.analysis.accounts import Kind, StatementType, account, names
from stockflow.analysis.domain import Number, PeriodType, Statement

YEAR_DAYS = (330, 400)       # what counts as "a year earlier" between two period ends
QUARTER_DAYS = (75, 110)


@dataclass(frozen=True, slots=True)
class PeriodData:
    period: PeriodType
    end: date
    fiscal_year: int
    fiscal_quarter: int | None
    statements: dict[StatementType, Statement] = field(default_factory=dict)
    parts: tuple[date, ...] = ()       # for TTM: the quarter ends it sums

    def line(self, statement: StatementType, name: str) -> Number | None:
        s = self.statements.get(statement)
        return None if s is None else s.items.get(name)

    def source(self, statement: StatementType, name: str) -> dict[str, object]:
        s = self.statements.get(statement)
        out: dict[str, object] = {"statement": statement.value, "period": self.period.value,
                                  "end": self.end.isoformat(), "line": name}
        if s is None:
            return out
        out["source"] = s.source
        fact = s.facts.get(name)
        if fact is not None:
            out.update({k: v for k, v in (("concept", fact.concept),
                                          ("accession", fact.accession),
                                          ("method", fact.method)) if v})
        if self.parts:
            out["quarters"] = [d.isoformat() for d in self.parts]
        return out


def by_period(statements: Iterable[Statement], period: PeriodType) -> list[PeriodData]:
    """Statements of one period type grouped by period end, oldest first (one revision each:
    pass them through `select_version` first)."""
    grouped: dict[date, dict[StatementType, Statement]] = {}
    labels: dict[date, tuple[int, int | None]] = {}
    for s in statements:
        if s.period is period:
            grouped.setdefault(s.end, {})[s.statement] = s
            labels[s.end] = (s.fiscal_year, s.fiscal_quarter)
    return [PeriodData(period, end, *labels[end], statements=grouped[end])
            for end in sorted(grouped)]


def _apart(a: date, b: date, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= (b - a).days <= bounds[1]


def _sum(values: Sequence[Number | None]) -> Number | None:
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def _ttm_items(statement: StatementType, quarters: Sequence[Statement]) -> dict:
    last = quarters[-1]
    items: dict[str, Number | None] = {}
    for name in names(statement):
        kind = account(statement, name).kind
        values = [q.items.get(name) for q in quarters]
        if kind is Kind.FLOW or kind is Kind.PER_SHARE:
            items[name] = _sum(values)
        elif kind is Kind.SHARES and statement is StatementType.INCOME:
            total = _sum(values)
            items[name] = None if total is None else round(total / len(values))
        else:
            items[name] = last.items.get(name)
    return items


def ttm_series(quarters: Sequence[PeriodData], recent: int | None = None) -> list[PeriodData]:
    """A trailing-twelve-months period at every quarter that closes four consecutive ones;
    with `recent`, only at the last `recent` quarters (summing is the costly part)."""
    out: list[PeriodData] = []
    first = 3 if recent is None else max(3, len(quarters) - recent)
    for i in range(first, len(quarters)):
        window = quarters[i - 3:i + 1]
        if not all(_apart(a.end, b.end, QUARTER_DAYS) for a, b in itertools.pairwise(window)):
            continue
        last = window[-1]
        statements = {}
        for kind in StatementType:
            parts = [q.statements.get(kind) for q in window]
            if all(p is not None for p in parts):
                base = parts[-1]
                statements[kind] = Statement(
                    **{**{f: getattr(base, f) for f in Statement.__dataclass_fields__},
                       "period": PeriodType.TTM, "fiscal_quarter": None,
                       "start": parts[0].start, "items": _ttm_items(kind, parts)})  # type: ignore[union-attr]
        out.append(PeriodData(PeriodType.TTM, last.end, last.fiscal_year, last.fiscal_quarter,
                              statements, tuple(q.end for q in window)))
    return out


def year_before(current: PeriodData, series: Sequence[PeriodData]) -> PeriodData | None:
    candidates = [p for p in series if _apart(p.end, current.end, YEAR_DAYS)]
    return candidates[-1] if candidates else None


def quarter_before(current: PeriodData, series: Sequence[PeriodData]) -> PeriodData | None:
    candidates = [p for p in series if _apart(p.end, current.end, QUARTER_DAYS)]
    return candidates[-1] if candidates else None
