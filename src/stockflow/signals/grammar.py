"""User strategies as declarative JSON: named TA-Lib indicators, entry and exit conditions over
indicators and prices combined with all/any/not, and position sizing. Validated by the JSON
Schema of document.py (published in OpenAPI), then its references checked, then compiled to
array operations; nothing in a document is code.

An operand can look back (`bars_ago` >= 0) but never forward: the grammar cannot name a value
a bar's close does not know yet."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from stockflow.core.problems import invalid
from stockflow.signals import document
from stockflow.signals.document import PRICES
from stockflow.signals.domain import BUY, HOLD, SELL, Rule, Series, Track

MAX_DEPTH = 6


@cache
def functions() -> frozenset[str]:
    import talib

    return frozenset(f.lower() for f in talib.get_functions())


def schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a user strategy document."""
    return document.json_schema()


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def validate(doc: Any) -> dict[str, Any]:
    """The document if the schema and the references hold; else a 422 listing every fault."""
    found = sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.path)))
    found = [_deepest(e) for e in found]
    errors = [{"loc": ["body", *map(str, e.absolute_path)], "msg": e.message} for e in found]
    if errors:
        raise invalid("the strategy does not match its JSON Schema", errors[:20])
    faults = list(_depth_faults(doc))
    for name, spec in (doc.get("indicators") or {}).items():
        faults += _indicator_faults(name, spec)
    if not faults:
        faults = list(_reference_faults(doc))
    if faults:
        raise invalid("the strategy names something it does not define", faults)
    return doc


def _deepest(error: ValidationError) -> ValidationError:
    """A oneOf's own message says only "not valid under any": the branch error that got
    deepest into the document says why."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def _depth(cond: dict[str, Any]) -> int:
    if "all" in cond or "any" in cond:
        return 1 + max(_depth(c) for c in cond.get("all") or cond.get("any"))
    if "not" in cond:
        return 1 + _depth(cond["not"])
    return 0


def _depth_faults(doc: dict[str, Any]):
    for part in ("entry", "exit"):
        if doc.get(part) is not None and _depth(doc[part]) >= MAX_DEPTH:
            yield {"loc": ["body", part], "msg": f"conditions nest at most {MAX_DEPTH - 1} "
                                                 "levels deep"}


def _leaves(cond: dict[str, Any]):
    if "all" in cond or "any" in cond:
        for c in cond.get("all") or cond.get("any"):
            yield from _leaves(c)
    elif "not" in cond:
        yield from _leaves(cond["not"])
    else:
        yield cond


def _ref(operand: Any) -> str | None:
    if isinstance(operand, str):
        return operand
    if isinstance(operand, dict):
        return operand["ref"]
    return None


def _outputs(spec: dict[str, Any]) -> list[str]:
    from talib import abstract

    return list(abstract.Function(spec["fn"].upper()).output_names)


def _reference_faults(doc: dict[str, Any]):
    indicators = doc.get("indicators") or {}
    for part in ("entry", "exit"):
        if doc.get(part) is None:
            continue
        for leaf in _leaves(doc[part]):
            for side in ("left", "right"):
                ref = _ref(leaf[side])
                if ref is None or ref in PRICES:
                    continue
                name, _, output = ref.partition(".")
                loc = ["body", part, side]
                if name not in indicators:
                    yield {"loc": loc, "msg": f"{ref!r} is neither a price nor a defined "
                                              "indicator", "input": ref}
                    continue
                outs = _outputs(indicators[name])
                if (output or None) is None and len(outs) > 1:
                    yield {"loc": loc, "msg": f"{name} has outputs {', '.join(outs)}: name one "
                                              f"as {name}.<output>", "input": ref}
                elif output and output not in outs:
                    yield {"loc": loc, "msg": f"{name} has no output {output!r}; it has "
                                              f"{', '.join(outs)}", "input": ref}


def _indicator_faults(name: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    from talib import abstract

    loc = ["body", "indicators", name]
    if name in PRICES:
        return [{"loc": loc, "msg": f"{name!r} is a price; name the indicator otherwise"}]
    if spec["fn"] not in functions():
        return [{"loc": [*loc, "fn"], "msg": f"{spec['fn']!r} is not a TA-Lib function "
                 "(GET /v1/technical/indicators lists them)", "input": spec["fn"]}]
    fn = abstract.Function(spec["fn"].upper())
    known = set(fn.parameters)
    unknown = set(spec.get("params") or {}) - known
    if unknown:
        return [{"loc": [*loc, "params"], "msg": f"{spec['fn']} has no parameter "
                 f"{min(unknown)!r}; it has {', '.join(sorted(known)) or 'none'}"}]
    ints = [k for k, v in (spec.get("params") or {}).items()
            if isinstance(fn.parameters[k], int) and not float(v).is_integer()]
    if ints:
        return [{"loc": [*loc, "params", ints[0]], "msg": f"{ints[0]} must be a whole number"}]
    if spec.get("input") is not None and "price" not in fn.input_names:
        return [{"loc": [*loc, "input"], "msg": f"{spec['fn']} reads "
                 f"{', '.join(map(str, fn.input_names.values()))}, not one chosen price"}]
    return []


class Compiled:
    """A validated document over one series: indicators computed once, conditions as masks."""

    def __init__(self, doc: dict[str, Any], strategy: str) -> None:
        self.doc, self.strategy = doc, strategy

    def _indicators(self, s: Series) -> dict[str, np.ndarray]:
        from talib import abstract

        columns = {k: getattr(s, k) for k in PRICES}
        out: dict[str, np.ndarray] = dict(columns)
        for name, spec in (self.doc.get("indicators") or {}).items():
            fn = abstract.Function(spec["fn"].upper())
            # JSON numbers arrive as floats; TA-Lib's integer parameters want ints.
            kwargs: dict[str, Any] = {k: int(v) if isinstance(fn.parameters[k], int) else v
                                      for k, v in (spec.get("params") or {}).items()}
            if spec.get("input") is not None:
                kwargs["price"] = spec["input"]
            try:
                raw = fn(columns, **kwargs)
            except Exception as exc:  # noqa: BLE001 - TA-Lib raises a bare Exception
                raise invalid(f"indicator {name}: TA-Lib refused {kwargs}: {exc}") from None
            arrays = raw if isinstance(raw, list) else [raw]
            for output, a in zip(fn.output_names, arrays, strict=True):
                a = np.asarray(a, dtype=np.float64)
                out[f"{name}.{output}"] = a
                if len(arrays) == 1:
                    out[name] = a
        return out

    def track(self, s: Series) -> Track:
        cols = self._indicators(s)
        rules: list[Rule] = []
        entry = self._eval(self.doc["entry"], cols, rules, "entry")
        exit_ = (self._eval(self.doc["exit"], cols, rules, "exit")
                 if self.doc.get("exit") is not None else ~entry)
        buy, sell = entry & ~exit_, exit_ & ~entry
        action = np.where(buy, BUY, np.where(sell, SELL, HOLD)).astype(np.int8)
        ones = np.where(buy | sell, 1.0, 0.0)
        indicators = {k: v for k, v in cols.items() if k not in PRICES}
        return Track(self.strategy, action, ones, ones, rules, indicators)

    def _operand(self, operand: Any, cols: dict[str, np.ndarray], n: int) -> tuple[str, np.ndarray]:
        if isinstance(operand, (int, float)):
            return str(operand), np.full(n, float(operand))
        ref, ago = (operand, 0) if isinstance(operand, str) else (operand["ref"],
                                                                  operand.get("bars_ago", 0))
        col = cols[ref]
        if ago:
            col = np.concatenate((np.full(min(ago, n), np.nan), col[:max(n - ago, 0)]))
            return f"{ref}[{ago} bars ago]", col
        return ref, col

    def _eval(self, cond: dict[str, Any], cols: dict[str, np.ndarray], rules: list[Rule],
              part: str) -> np.ndarray:
        n = len(cols["close"])
        if "all" in cond:
            return np.logical_and.reduce([self._eval(c, cols, rules, part) for c in cond["all"]])
        if "any" in cond:
            return np.logical_or.reduce([self._eval(c, cols, rules, part) for c in cond["any"]])
        if "not" in cond:
            return ~self._eval(cond["not"], cols, rules, part)
        (ln, left), (rn, right) = (self._operand(cond[k], cols, n) for k in ("left", "right"))
        op = cond["op"]
        with np.errstate(invalid="ignore"):
            if op in ("crosses_above", "crosses_below"):
                diff = left - right
                before = np.concatenate(([np.nan], diff[:-1]))
                fired = (diff > 0) & (before <= 0) if op == "crosses_above" else (
                    (diff < 0) & (before >= 0))
            else:
                fired = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                         ">=": np.greater_equal}[op](left, right)
        rules.append(Rule(f"{part}: {ln} {op} {rn}", fired, {ln: left, rn: right}))
        return fired
