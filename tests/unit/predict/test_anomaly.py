"""Anomaly detection: planted shocks are found, ordinary days mostly are not."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stockflow.core.problems import Problem
from stockflow.predict.anomaly import detect, features, score_latest
from stockflow.predict.series import make_series

from .conftest import walk


def _planted(n: int = 400):
    """A random walk with one crash at bar k: −20 % on ten times the volume, gapping down."""
    s = walk(n, seed=9)
    k = 250
    c, o, h, lo = (x.copy() for x in (s.close, s.open, s.high, s.low))
    for x in (c, o, h, lo):
        x[k:] *= 0.8
    o[k] = s.close[k - 1] * 0.85
    h[k], lo[k] = max(h[k], o[k], c[k]), min(lo[k], o[k], c[k]) * 0.97
    v = s.volume.copy()
    v[k] *= 10
    return make_series(c, dates=s.dates, open=o, high=h, low=lo, volume=v), k


def test_planted_shock_is_found_with_its_reasons() -> None:
    s, k = _planted()
    out = detect(s)
    json.dumps(out, allow_nan=False)
    top = out["anomalies"][0]
    assert top["date"] == str(s.dates[k])
    assert "isolation forest" in top["reasons"]
    assert any(r.startswith("return z=") for r in top["reasons"])
    assert any(r.startswith("volume z=") for r in top["reasons"])


def test_ordinary_days_are_rarely_flagged() -> None:
    s = walk(500, seed=4)
    out = detect(s, contamination=0.01, z_threshold=6.0)
    assert len(out["anomalies"]) <= 0.02 * len(s)


def test_features_use_only_the_past_and_the_bar() -> None:
    s = walk(120, seed=2)
    x = features(s)
    assert x.shape == (119, 4)
    assert x[10, 0] == pytest.approx(np.log(s.close[11] / s.close[10]))
    assert x[10, 2] == pytest.approx(np.log(s.open[11] / s.close[10]))
    head = features(s.head(60))
    np.testing.assert_array_equal(head, x[:59])


def test_live_bar_is_scored_against_the_history() -> None:
    s, k = _planted()
    shock = score_latest(s.head(k), s.window(k, k + 1))
    assert shock is not None and shock["date"] == str(s.dates[k])
    assert "isolation forest" in shock["reasons"]
    calm = score_latest(s.head(k - 1), s.window(k - 1, k))
    assert calm is None or calm["score"] < shock["score"]


def test_constant_series_and_too_few_bars() -> None:
    s = make_series(np.full(100, 10.0), volume=np.full(100, 1000.0))
    out = detect(s)
    json.dumps(out, allow_nan=False)
    assert all("z=" not in r for a in out["anomalies"] for r in a["reasons"])
    with pytest.raises(Problem) as e:
        detect(walk(30))
    assert e.value.status == 422 and "at least 60" in e.value.detail
