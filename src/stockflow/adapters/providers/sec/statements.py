"""SEC company facts → Statements in the chart of accounts, as first reported and as restated."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from stockflow.adapters.providers.sec.concepts import CONCEPTS, COVER_SHARES, NON_NEGATIVE
from stockflow.adapters.providers.sec.facts import NAME, Fact, Span, parse_facts, pick
from stockflow.adapters.providers.sec.periods import (
    PeriodValue,
    fiscal_label,
    fiscal_year_starts,
    instants,
    quarters,
    years,
)
from stockflow.analysis.accounts import Kind, StatementType, account, names
from stockflow.analysis.domain import PeriodType, Statement, Version

_Key = tuple[PeriodType, date]


def _unit_ok(kind: Kind, unit: str, currency: str) -> bool:
    if kind is Kind.PER_SHARE:
        return unit == f"{currency}/shares"
    if kind is Kind.SHARES:
        return unit == "shares"
    return unit == currency


def _currency(facts: list[Fact]) -> str:
    money = [f.unit for f in facts if "/" not in f.unit and f.unit not in ("shares", "pure")]
    return max(set(money), key=money.count) if money else "USD"


class _Table:
    """Values by (period type, end) and statement, plus the flags raised on the way."""

    def __init__(self) -> None:
        self.values: dict[_Key, dict[StatementType, dict[str, PeriodValue]]] = defaultdict(
            lambda: defaultdict(dict))
        self.flags: dict[_Key, list[str]] = defaultdict(list)

    def put(self, key: _Key, statement: StatementType, name: str, pv: PeriodValue) -> None:
        self.values[key][statement].setdefault(name, pv)   # the first concept listed wins


def _fill(table: _Table, statement: StatementType, name: str, facts: list[Fact],
          starts: list[date]) -> None:
    kind = account(statement, name).kind
    if statement is StatementType.BALANCE:
        for end, pv in instants(facts).items():
            table.put((PeriodType.QUARTER, end), statement, name, pv)
        return
    # Per-share figures and averages do not add up: never difference them.
    found = quarters(facts, starts) if kind is Kind.FLOW else {
        f.end: PeriodValue(f.start, f.value, f.source()) for f in facts  # type: ignore[misc]
        if f.span is Span.QUARTER}
    for end, pv in found.items():
        key = (PeriodType.QUARTER, end)
        if pv.source.method == "fy_minus_9m" and pv.value < 0 and name in NON_NEGATIVE:
            table.flags[key].append(f"negative_q4_derivation:{name}")
            table.values[key].setdefault(statement, {})   # the period stays, the line None
            continue
        table.put(key, statement, name, pv)
    for end, pv in years(facts).items():
        table.put((PeriodType.ANNUAL, end), statement, name, pv)


def _cover_shares(table: _Table, facts: list[Fact], cover: list[Fact]) -> None:
    # The cover count is dated at the cover page; it belongs to the balance sheet that filing
    # reports, the latest instant the same accession carries (whichever version is asked).
    filing_end: dict[str, date] = {}
    for f in facts:
        if f.span is Span.INSTANT and f.concept != COVER_SHARES:
            filing_end[f.accession] = max(f.end, filing_end.get(f.accession, f.end))
    for f in cover:
        end = filing_end.get(f.accession)
        if end is not None:
            table.put((PeriodType.QUARTER, end), StatementType.BALANCE, "shares_outstanding",
                      PeriodValue(end, f.value, f.source()))


def _table(facts: list[Fact], version: Version) -> tuple[_Table, list[date], str]:
    currency = _currency(facts)
    chosen = list(pick(facts, version).values())
    starts = fiscal_year_starts(chosen)
    by_concept: dict[str, list[Fact]] = defaultdict(list)
    for f in chosen:
        by_concept[f.concept].append(f)
    table = _Table()
    for (statement, name), concepts in CONCEPTS.items():
        kind = account(statement, name).kind
        for concept in concepts:
            usable = [f for f in by_concept.get(concept, []) if _unit_ok(kind, f.unit, currency)]
            _fill(table, statement, name, usable, starts)
    _cover_shares(table, facts, [f for f in by_concept.get(COVER_SHARES, [])
                                  if f.taxonomy == "dei"])
    return table, starts, currency


def _year_ends(table: _Table) -> dict[date, date]:
    out: dict[date, date] = {}
    for (period, end), statements in table.values.items():
        if period is PeriodType.ANNUAL:
            for values in statements.values():
                for pv in values.values():
                    out[pv.start] = end
    return out


def _statements(ticker: str, table: _Table, starts: list[date], currency: str,
                revision: int) -> dict[tuple, Statement]:
    year_ends = _year_ends(table)
    for (period, end) in list(table.values):
        balance = table.values[(PeriodType.QUARTER, end)].get(StatementType.BALANCE)
        if period is PeriodType.ANNUAL and balance:
            table.values[(period, end)][StatementType.BALANCE] = dict(balance)
    out: dict[tuple, Statement] = {}
    for (period, end), by_statement in table.values.items():
        fy, fq = fiscal_label(end, starts, year_ends)
        for statement, values in by_statement.items():
            flags = tuple(table.flags.get((period, end), ()))
            if not values and not flags:
                continue
            flows = [pv.start for pv in values.values() if pv.start != end]
            default = end - timedelta(days=364 if period is PeriodType.ANNUAL else 90)
            s = Statement(
                ticker=ticker, statement=statement, period=period, fiscal_year=fy,
                fiscal_quarter=fq if period is PeriodType.QUARTER else None,
                start=min(flows) if flows else default, end=end, currency=currency,
                items=dict.fromkeys(names(statement)) | {k: v.value for k, v in values.items()},
                source=NAME, filed=max((v.source.filed for v in values.values()), default=None),
                revision=revision, facts={k: v.source for k, v in values.items()},
                flags=flags)
            out[s.key] = s
    return out


def build_statements(body: Any, ticker: str) -> list[Statement]:
    """Every period the facts cover; a second revision where a later filing changed a number."""
    facts = parse_facts(body)
    first = _statements(ticker, *_table(facts, Version.REPORTED), revision=0)
    latest = _statements(ticker, *_table(facts, Version.RESTATED), revision=1)
    out = list(first.values())
    for key, s in latest.items():
        before = first.get(key)
        if before is None or before.items != s.items:
            out.append(Statement(**{**_fields(s), "flags": (*s.flags, "restated")}))
    return sorted(out, key=lambda s: (s.end, s.statement, s.period, s.revision))


def _fields(s: Statement) -> dict[str, Any]:
    return {name: getattr(s, name) for name in Statement.__dataclass_fields__}
