"""Indicator requests from query strings: `indicators=rsi,macd` plus `rsi.timeperiod=14` values.

Every value is checked against TA-Lib's own range before any computation, so a bad one is an
InvalidParameter naming it (a 422), never TA-Lib's bare "bad parameter" from deep in a call.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stockflow.analysis.errors import InvalidParameter
from stockflow.analysis.technical.catalogue import IndicatorSpec, ParamSpec, lookup
from stockflow.core.problems import invalid

MAX_INDICATORS = 50


@dataclass(frozen=True, slots=True)
class IndicatorRequest:
    spec: IndicatorSpec
    params: dict[str, float] = field(default_factory=dict)   # every parameter, defaults filled

    @property
    def name(self) -> str:
        return self.spec.name


def _number(spec: IndicatorSpec, p: ParamSpec, raw: Any) -> float:
    if isinstance(raw, bool):
        raise InvalidParameter(spec.name, p.name, raw, "must be a number, not a boolean")
    if isinstance(raw, str) and p.choices:
        # List parameters (MA types) also accept their label: "ema" for 1.
        for value, label in p.choices:
            if label.lower() == raw.strip().lower():
                return float(value)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidParameter(spec.name, p.name, raw, f"must be {_expected(p)}") from None
    if not math.isfinite(value):
        raise InvalidParameter(spec.name, p.name, raw, "must be a finite number")
    return value


def _expected(p: ParamSpec) -> str:
    if p.choices:
        return "one of " + ", ".join(f"{int(v) if p.kind == 'integer' else v} ({label})"
                                     for v, label in p.choices)
    what = "an integer" if p.kind == "integer" else "a number"
    if p.minimum is not None and p.maximum is not None:
        return f"{what} from {_fmt(p.minimum)} to {_fmt(p.maximum)}"
    return what


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def check_value(spec: IndicatorSpec, p: ParamSpec, raw: Any) -> float:
    """`raw` as the number TA-Lib receives for `p`, or InvalidParameter saying what is allowed."""
    value = _number(spec, p, raw)
    if p.kind == "integer":
        if not value.is_integer():
            raise InvalidParameter(spec.name, p.name, raw, f"must be {_expected(p)}")
        value = int(value)
    if p.choices and value not in {v for v, _ in p.choices}:
        raise InvalidParameter(spec.name, p.name, raw, f"must be {_expected(p)}")
    low = p.minimum if p.minimum is not None else -math.inf
    high = p.maximum if p.maximum is not None else math.inf
    if not low <= value <= high:
        raise InvalidParameter(spec.name, p.name, raw, f"must be {_expected(p)}")
    return value


def build_request(name: str, values: Mapping[str, Any] | None = None) -> IndicatorRequest:
    """One indicator with its parameters checked and the rest at TA-Lib's defaults."""
    spec = lookup(name)
    params: dict[str, float] = {p.name: p.default for p in spec.params}
    for key, raw in (values or {}).items():
        p = spec.param(key.strip().lower())
        if p is None:
            known = ", ".join(x.name for x in spec.params) or "none"
            raise InvalidParameter(spec.name, key, raw, f"{spec.name} has no parameter {key!r}; "
                                   f"its parameters are: {known}")
        params[p.name] = check_value(spec, p, raw)
    return IndicatorRequest(spec, params)


def split_names(indicators: str | Iterable[str]) -> list[str]:
    """`"rsi, macd"` or `["rsi", "macd,bbands"]` as a list of names without blanks or repeats."""
    parts = [indicators] if isinstance(indicators, str) else list(indicators)
    out: list[str] = []
    for part in parts:
        for name in part.split(","):
            name = name.strip().lower()
            if name and name not in out:
                out.append(name)
    return out


def parse_query(indicators: str | Iterable[str],
                query: Mapping[str, Any]) -> list[IndicatorRequest]:
    """The requests of a query string; dotted keys must name a requested indicator's parameter.

    Keys without a dot (start, end, limit…) belong to the route and are ignored here.
    """
    names = split_names(indicators)
    if not names:
        raise invalid("indicators: name at least one indicator, e.g. indicators=rsi,macd")
    if len(names) > MAX_INDICATORS:
        raise InvalidParameter("indicators", "count", len(names),
                               f"at most {MAX_INDICATORS} indicators per request")
    grouped: dict[str, dict[str, Any]] = {name: {} for name in names}
    for key, raw in query.items():
        prefix, dot, param = key.partition(".")
        if not dot:
            continue
        prefix = prefix.strip().lower()
        if prefix not in grouped:
            raise InvalidParameter(prefix, param, raw,
                                   f"{prefix!r} is not among the requested indicators "
                                   f"({', '.join(names)})")
        grouped[prefix][param] = raw
    return [build_request(name, values) for name, values in grouped.items()]
