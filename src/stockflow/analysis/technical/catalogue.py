"""The indicator catalogue, generated from TA-Lib's metadata: no hand-written list of functions.

Each function's name, group, inputs, parameters (type, default, valid range) and outputs come
from `talib.get_function_groups()` and `talib.abstract`; ranges from `ranges.param_ranges`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stockflow.analysis.errors import UnknownIndicator
from stockflow.analysis.technical.ranges import (
    INTEGER_LIST,
    INTEGER_RANGE,
    REAL_RANGE,
    ParamRange,
    param_ranges,
)

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
PATTERN_GROUP = "Pattern Recognition"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    kind: str                   # "integer" | "number"
    default: float
    minimum: float | None
    maximum: float | None
    choices: tuple[tuple[float, str], ...]
    description: str

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "default": self.default}
        if self.description:
            out["description"] = self.description
        if self.choices:
            out["enum"] = [int(v) if self.kind == "integer" else v for v, _ in self.choices]
            out["x-labels"] = {str(int(v) if self.kind == "integer" else v): label
                               for v, label in self.choices}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    name: str                   # lower case, as the API spells it ("rsi", "cdlhammer")
    function: str               # TA-Lib's own name ("RSI")
    group: str
    display_name: str
    inputs: tuple[str, ...]     # series, in TA-Lib's order: open/high/low/close/volume/periods
    input_map: dict[str, Any]   # TA-Lib's input_names, to hand back to abstract.Function
    params: tuple[ParamSpec, ...]
    outputs: tuple[str, ...]
    output_flags: dict[str, list[str]]

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def json_schema(self) -> dict[str, Any]:
        """The parameters as a JSON Schema object, with the rest of the metadata alongside."""
        return {
            "$schema": JSON_SCHEMA,
            "$id": f"https://stockflow.dev/schemas/indicators/{self.name}",
            "title": self.display_name,
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.params},
            "additionalProperties": False,
            "x-indicator": self.name,
            "x-group": self.group,
            "x-inputs": list(self.inputs),
            "x-outputs": [{"name": o, "flags": self.output_flags.get(o, [])}
                          for o in self.outputs],
        }


def _series(input_names: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for value in input_names.values():
        out.extend(value if isinstance(value, list) else [value])
    return tuple(out)


def _param(name: str, default: Any, rng: ParamRange | None) -> ParamSpec:
    integer = rng.kind in (INTEGER_RANGE, INTEGER_LIST) if rng else isinstance(default, int)
    lo = hi = None
    choices: tuple[tuple[float, str], ...] = ()
    if rng is not None and rng.kind in (INTEGER_RANGE, REAL_RANGE):
        lo, hi = rng.minimum, rng.maximum
    elif rng is not None:
        choices = rng.choices
    return ParamSpec(name=name, kind="integer" if integer else "number",
                     default=int(default) if integer else float(default), minimum=lo,
                     maximum=hi, choices=choices, description=rng.hint if rng else "")


def _build(function: str, group: str) -> IndicatorSpec:
    from talib import abstract

    fn = abstract.Function(function)
    info = fn.info
    ranges = param_ranges(function)
    params = tuple(_param(name, default, ranges.get(name))
                   for name, default in info["parameters"].items())
    return IndicatorSpec(
        name=function.lower(), function=function, group=group,
        display_name=info["display_name"], inputs=_series(dict(info["input_names"])),
        input_map=dict(info["input_names"]), params=params,
        outputs=tuple(info["output_names"]), output_flags=dict(info["output_flags"]))


@lru_cache(maxsize=1)
def catalogue() -> dict[str, IndicatorSpec]:
    """Every TA-Lib function by lower-case name, grouped as TA-Lib groups them."""
    import talib

    return {function.lower(): _build(function, group)
            for group, functions in talib.get_function_groups().items()
            for function in functions}


def lookup(name: str) -> IndicatorSpec:
    """The spec of `name` (any case); an UnknownIndicator listing near matches otherwise."""
    specs = catalogue()
    key = name.strip().lower()
    if key in specs:
        return specs[key]
    raise UnknownIndicator(name, difflib.get_close_matches(key, list(specs), n=5, cutoff=0.6))


def catalogue_schema(group: str | None = None) -> dict[str, Any]:
    """The whole catalogue as one JSON document: one JSON Schema per indicator."""
    specs = [s for s in catalogue().values() if group is None or s.group == group]
    return {"$schema": JSON_SCHEMA, "count": len(specs),
            "groups": sorted({s.group for s in catalogue().values()}),
            "indicators": [s.json_schema() for s in specs]}
