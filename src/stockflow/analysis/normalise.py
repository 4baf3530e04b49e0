"""Vendor rows → the chart of accounts, driven by one mapping table per vendor.

A vendor's statement row is a flat object; its mapping says which of its keys fill which of our
lines (first key present wins). Values the vendor marks as missing in its own way ("None",
empty objects, Yahoo's `{"raw": 0, "fmt": null}` placeholder) become None, never zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from stockflow.analysis.accounts import StatementType, account, empty
from stockflow.analysis.domain import FactSource, Number

LineMap = Mapping[str, tuple[str, ...]]          # our line → vendor keys, in preference order
_MISSING_TEXT = frozenset({"", "none", "null", "nan", "-", "n/a", "na"})


def number(raw: Any) -> Number | None:
    """A vendor value as a number, or None where the vendor has none."""
    if isinstance(raw, Mapping):
        # Yahoo: {"raw": x, "fmt": "…"}; a raw 0 with no fmt is its "not available".
        # Polygon: {"value": x, "unit": "USD"}.
        if "value" in raw:
            return number(raw["value"])
        if "raw" not in raw or (raw.get("raw") == 0 and raw.get("fmt", "") is None):
            return None
        return number(raw["raw"])
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return raw if math.isfinite(raw) else None
    text = str(raw).strip()
    if text.lower() in _MISSING_TEXT:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() \
        else value


def _junk(raw: Any) -> bool:
    """A value that is there but is no number and no vendor way of saying "missing"."""
    if raw is None or isinstance(raw, Mapping) or number(raw) is not None:
        return False
    return not (isinstance(raw, str) and raw.strip().lower() in _MISSING_TEXT)


def map_row(statement: StatementType, row: Mapping[str, Any], lines: LineMap, source: str,
            filed: date | None = None) -> tuple[dict[str, Number | None], dict[str, FactSource]]:
    """Items of one statement from one vendor row, and where each number came from."""
    items = empty(statement)
    facts: dict[str, FactSource] = {}
    for name, keys in lines.items():
        account(statement, name)   # a mapping naming a line we do not have is a bug: fail loud
        for key in keys:
            value = number(row.get(key))
            if value is not None:
                items[name] = value
                facts[name] = FactSource(source, concept=key, filed=filed)
                break
    return items, facts


def row_flags(row: Mapping[str, Any], lines: LineMap, facts: Mapping[str, FactSource]
              ) -> tuple[str, ...]:
    """`empty` when no line could be read, `malformed:<line>` for each unreadable value: the
    statement is kept with what it has, and the flags say what it lacks."""
    bad = tuple(f"malformed:{name}" for name, keys in lines.items()
                if name not in facts and any(_junk(row.get(k)) for k in keys))
    return bad if facts else ("empty", *bad)


def unparsed(row: Mapping[str, Any], lines: LineMap, ignore: frozenset[str] = frozenset()
             ) -> list[str]:
    """Vendor keys with a value that no line takes: reported so mappings can grow."""
    used = {k for keys in lines.values() for k in keys} | ignore
    return sorted(k for k, v in row.items() if k not in used and number(v) is not None)


MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")


def month_number(name: str | None, default: int = 12) -> int:
    """"December" / "Dec" / "12" as 12; `default` when the vendor says nothing usable."""
    if not name:
        return default
    text = str(name).strip().lower()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return next((i + 1 for i, m in enumerate(MONTHS) if m.startswith(text[:3])), default)


def fiscal_label(end: date, fye_month: int) -> tuple[int, int]:
    """(fiscal year, quarter) of a period ending in `end`'s month, for a year ending in
    `fye_month`; a few days of slack cover 52/53-week years ending early in a month."""
    month, year = end.month, end.year
    if end.day <= 7:                      # 2022-04-03 closes the March quarter
        month, year = (12, year - 1) if month == 1 else (month - 1, year)
    offset = (month - fye_month - 1) % 12     # months into the fiscal year, 0-based
    fy = year + (1 if month > fye_month else 0)
    return fy, offset // 3 + 1
