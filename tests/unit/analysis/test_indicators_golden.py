"""Every TA-Lib function through the catalogue equals TA-Lib's function API called directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import talib

from stockflow.analysis.errors import InvalidParameter
from stockflow.analysis.technical.catalogue import catalogue
from stockflow.analysis.technical.compute import compute_many
from stockflow.analysis.technical.params import build_request

N = 400
ALL = sorted(catalogue())


def _bars() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20260102)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.015, N)))
    open_ = close * np.exp(rng.normal(0, 0.006, N))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.008, N)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.008, N)))
    volume = rng.integers(10_000, 90_000, N).astype(np.float64)
    periods = rng.integers(2, 30, N).astype(np.float64)
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume,
            "periods": periods}


BARS = _bars()


def _direct(name: str, params: dict) -> list[np.ndarray]:
    spec = catalogue()[name]
    out = getattr(talib, spec.function)(*(BARS[s] for s in spec.inputs), **params)
    return list(out) if isinstance(out, tuple) else [out]


def _same(ours: list, theirs: np.ndarray) -> None:
    assert len(ours) == len(theirs)
    for mine, ref in zip(ours, theirs.tolist(), strict=True):
        if isinstance(ref, float) and math.isnan(ref):
            assert mine is None
        else:
            assert mine == ref


def _other_value(p) -> float:
    """A valid value other than the default, to show parameters reach TA-Lib."""
    if p.choices:
        return next(v for v, _ in p.choices if v != p.default and v <= 8)
    if p.kind == "integer":
        candidate = p.default + 3
        return candidate if p.maximum is None or candidate <= p.maximum else p.default - 1
    return p.default * 0.8 if p.default else 0.1


def test_the_catalogue_is_all_of_talib() -> None:
    assert set(ALL) == {f.lower() for f in talib.get_functions()}
    assert sum(s.group == "Pattern Recognition" for s in catalogue().values()) == 61


@pytest.mark.parametrize("name", ALL)
def test_defaults_match_talib_called_directly(name: str) -> None:
    req = build_request(name)
    (result,) = compute_many([req], BARS)
    direct = _direct(name, {})
    assert list(result.outputs) == list(catalogue()[name].outputs)
    for values, ref in zip(result.outputs.values(), direct, strict=True):
        _same(values, ref)


@pytest.mark.parametrize("name", [n for n in ALL if catalogue()[n].params])
def test_other_parameters_match_talib_called_directly(name: str) -> None:
    spec = catalogue()[name]
    values = {p.name: _other_value(p) for p in spec.params}
    if name == "mavp":
        values = {"minperiod": 3, "maxperiod": 20, "matype": 1}
    req = build_request(name, {k: str(v) for k, v in values.items()})
    (result,) = compute_many([req], BARS)
    for ours, ref in zip(result.outputs.values(), _direct(name, req.params), strict=True):
        _same(ours, ref)


@pytest.mark.parametrize("name", [n for n in ALL
                                  if any(p.kind == "integer" and p.minimum is not None
                                         and not p.choices for p in catalogue()[n].params)])
def test_below_minimum_is_refused_by_us_and_by_talib(name: str) -> None:
    spec = catalogue()[name]
    p = next(p for p in spec.params if p.kind == "integer" and p.minimum is not None
             and not p.choices)
    below = int(p.minimum) - 1
    with pytest.raises(InvalidParameter) as caught:
        build_request(name, {p.name: str(below)})
    assert caught.value.parameter == p.name and caught.value.status == 422
    with pytest.raises(Exception, match="BAD_PARAM|bad parameter|out of range"):
        _direct(name, {p.name: below})
    # The minimum itself is accepted by both.
    (result,) = compute_many([build_request(name, {p.name: str(int(p.minimum))})], BARS)
    assert len(next(iter(result.outputs.values()))) == N


@pytest.mark.parametrize("name", [n for n in ALL
                                  if any(p.kind == "number" and p.minimum is not None
                                         and p.minimum > -1e30 for p in catalogue()[n].params)])
def test_real_parameter_below_minimum_is_refused_by_us_and_by_talib(name: str) -> None:
    spec = catalogue()[name]
    p = next(p for p in spec.params if p.kind == "number" and p.minimum is not None
             and p.minimum > -1e30)
    below = p.minimum - 0.5
    with pytest.raises(InvalidParameter) as caught:
        build_request(name, {p.name: str(below)})
    assert caught.value.parameter == p.name
    with pytest.raises(Exception, match="BAD_PARAM|bad parameter|out of range"):
        _direct(name, {p.name: below})
