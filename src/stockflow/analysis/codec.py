"""Statements to and from the JSON stored in `financial_statements.data`."""

from __future__ import annotations

from datetime import date
from typing import Any

from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import FactSource, PeriodType, Statement


def _fact(f: FactSource) -> dict[str, Any]:
    return {"source": f.source, "concept": f.concept, "accession": f.accession, "form": f.form,
            "filed": f.filed.isoformat() if f.filed else None, "method": f.method,
            "inputs": list(f.inputs)}


def _day(raw: str | None) -> date | None:
    return date.fromisoformat(raw) if raw else None


def encode(s: Statement) -> dict[str, Any]:
    """One revision of one period kind, as stored."""
    return {"revision": s.revision, "fiscal_year": s.fiscal_year,
            "fiscal_quarter": s.fiscal_quarter, "start": s.start.isoformat(),
            "currency": s.currency, "source": s.source,
            "filed": s.filed.isoformat() if s.filed else None, "items": dict(s.items),
            "facts": {k: _fact(v) for k, v in s.facts.items()}, "flags": list(s.flags)}


def decode(ticker: str, end: date, statement: str, period: str, raw: dict[str, Any]
           ) -> Statement:
    facts = {k: FactSource(v["source"], v.get("concept"), v.get("accession"), v.get("form"),
                           _day(v.get("filed")), v.get("method", "reported"),
                           tuple(v.get("inputs") or ()))
             for k, v in (raw.get("facts") or {}).items()}
    return Statement(ticker=ticker, statement=StatementType(statement),
                     period=PeriodType(period), fiscal_year=int(raw["fiscal_year"]),
                     fiscal_quarter=raw.get("fiscal_quarter"), start=date.fromisoformat(
                         raw["start"]), end=end, currency=raw["currency"],
                     items=dict(raw["items"]), source=raw["source"],
                     filed=_day(raw.get("filed")), revision=int(raw["revision"]),
                     facts=facts, flags=tuple(raw.get("flags") or ()))


def merge(data: dict[str, Any], s: Statement) -> tuple[dict[str, Any], bool]:
    """`data` with `s` in place of the same period kind and revision; whether anything changed."""
    periods = {k: list(v) for k, v in (data.get("periods") or {}).items()}
    entries = [e for e in periods.get(s.period.value, []) if e["revision"] != s.revision]
    new = encode(s)
    old = next((e for e in periods.get(s.period.value, []) if e["revision"] == s.revision),
               None)
    periods[s.period.value] = sorted([*entries, new], key=lambda e: e["revision"])
    return {"periods": periods}, old != new


def rows(ticker: str, end: date, statement: str, data: dict[str, Any]) -> list[Statement]:
    return [decode(ticker, end, statement, period, entry)
            for period, entries in (data.get("periods") or {}).items() for entry in entries]


def fiscal_period(data: dict[str, Any]) -> tuple[int, str, date]:
    """The row's own columns: FY when it holds an annual statement, else its quarter."""
    periods = data.get("periods") or {}
    entry = (periods.get("annual") or periods.get("quarter") or periods.get("ttm"))[-1]
    label = "FY" if "annual" in periods else f"Q{entry.get('fiscal_quarter') or 4}"
    starts = [date.fromisoformat(e["start"]) for es in periods.values() for e in es]
    return int(entry["fiscal_year"]), label, min(starts)
