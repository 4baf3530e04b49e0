"""Indicator values on OHLCV arrays: TA-Lib's abstract API, with warm-up NaN turned into None."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from stockflow.analysis.errors import InvalidParameter, MissingInput
from stockflow.analysis.technical.params import IndicatorRequest

Values = list[float | None]
SERIES = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    name: str
    params: dict[str, float]
    outputs: dict[str, Values]      # output name → one value per bar, None during warm-up


def as_series(arrays: Mapping[str, Sequence[float] | np.ndarray]) -> dict[str, np.ndarray]:
    """Input columns as contiguous float64 arrays of one length (TA-Lib's requirement)."""
    out = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}
    lengths = {len(v) for v in out.values()}
    if len(lengths) > 1:
        raise ValueError(f"input series differ in length: {sorted(lengths)}")
    return out


def to_values(array: np.ndarray) -> Values:
    """A TA-Lib output as JSON-safe numbers: NaN and ±inf become None, pattern codes ints."""
    if array.dtype.kind in "iu":
        return [int(x) for x in array.tolist()]
    finite = np.isfinite(array)
    items = array.tolist()
    return [x if ok else None for x, ok in zip(items, finite.tolist(), strict=True)]


def compute(request: IndicatorRequest, series: Mapping[str, np.ndarray]) -> IndicatorResult:
    """One indicator over `series` (as_series output); every bar gets a value or None."""
    from talib import abstract

    spec = request.spec
    for name in spec.inputs:
        if name not in series:
            raise MissingInput(spec.name, name)
    fn = abstract.Function(spec.function)
    try:
        raw = fn(dict(series), **request.params)
    except Exception as exc:  # noqa: BLE001 - TA-Lib raises a bare Exception on refusals
        raise InvalidParameter(spec.name, "params", request.params,
                               f"TA-Lib refused the parameters: {exc}") from None
    arrays = raw if isinstance(raw, list) else [raw]
    outputs = {name: to_values(np.asarray(a)) for name, a in zip(spec.outputs, arrays,
                                                                  strict=True)}
    return IndicatorResult(spec.name, dict(request.params), outputs)


def compute_many(requests: Sequence[IndicatorRequest],
                 arrays: Mapping[str, Sequence[float] | np.ndarray]) -> list[IndicatorResult]:
    series = as_series(arrays)
    return [compute(r, series) for r in requests]
