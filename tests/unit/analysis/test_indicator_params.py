"""Indicator query parsing, validation messages, near matches and the JSON Schema catalogue."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stockflow.analysis.errors import InvalidParameter, MissingInput, UnknownIndicator
from stockflow.analysis.technical.catalogue import catalogue, catalogue_schema, lookup
from stockflow.analysis.technical.compute import compute_many, to_values
from stockflow.analysis.technical.params import build_request, parse_query
from stockflow.core.problems import Problem


def test_query_parameters_reach_their_indicator_and_route_keys_are_ignored() -> None:
    reqs = parse_query("RSI, macd,rsi", {"rsi.timeperiod": "10", "macd.signalperiod": "5",
                                         "start": "2024-01-01", "limit": "10"})
    assert [r.name for r in reqs] == ["rsi", "macd"]
    assert reqs[0].params == {"timeperiod": 10}
    assert reqs[1].params == {"fastperiod": 12, "slowperiod": 26, "signalperiod": 5}


def test_moving_average_type_by_label_or_number() -> None:
    assert build_request("bbands", {"matype": "EMA"}).params["matype"] == 1
    assert build_request("bbands", {"matype": "2"}).params["matype"] == 2
    with pytest.raises(InvalidParameter, match="one of 0 \\(SMA\\)"):
        build_request("bbands", {"matype": "99"})


@pytest.mark.parametrize(("raw", "reason"), [
    ("1", "integer from 2 to 100000"), ("2.5", "integer from 2 to 100000"),
    ("abc", "integer from 2 to 100000"), ("nan", "finite"), ("100001", "to 100000"),
])
def test_bad_values_name_the_parameter(raw: str, reason: str) -> None:
    with pytest.raises(InvalidParameter, match=reason) as caught:
        parse_query("rsi", {"rsi.timeperiod": raw})
    problem = caught.value.to_dict()
    assert problem["status"] == 422
    assert problem["errors"][0]["loc"] == ["query", "rsi.timeperiod"]


def test_unknown_parameter_lists_the_real_ones() -> None:
    with pytest.raises(InvalidParameter, match="its parameters are: fastperiod, slowperiod"):
        build_request("macd", {"fast": "3"})


def test_parameter_for_an_indicator_not_requested_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="not among the requested"):
        parse_query("rsi", {"macd.fastperiod": "3"})


def test_unknown_indicator_lists_near_matches() -> None:
    with pytest.raises(UnknownIndicator) as caught:
        lookup("bbnds")
    assert "bbands" in caught.value.extra["suggestions"]
    assert caught.value.status == 422


def test_no_indicator_at_all_is_a_validation_problem() -> None:
    with pytest.raises(Problem) as caught:
        parse_query(" , ", {})
    assert caught.value.status == 422


def test_missing_series_is_named() -> None:
    with pytest.raises(MissingInput, match="periods"):
        compute_many([build_request("mavp")], {"close": np.arange(50.0)})


def test_warm_up_is_none_and_json_has_no_nan() -> None:
    (result,) = compute_many([build_request("sma", {"timeperiod": "5"})],
                             {"close": np.arange(1.0, 11.0)})
    assert result.outputs["real"][:4] == [None] * 4
    assert result.outputs["real"][4:] == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert to_values(np.array([np.inf, -np.inf, 1.5])) == [None, None, 1.5]
    json.dumps(result.outputs, allow_nan=False)


def test_series_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        compute_many([build_request("atr")], {"high": [1.0, 2.0], "low": [1.0], "close": [1.0]})


def test_catalogue_schema_is_complete_and_self_consistent() -> None:
    doc = json.loads(json.dumps(catalogue_schema(), allow_nan=False))
    assert doc["count"] == len(catalogue()) == 201
    assert "Pattern Recognition" in doc["groups"]
    for schema in doc["indicators"]:
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert schema["x-inputs"] and schema["x-outputs"]
        for name, prop in schema["properties"].items():
            assert prop["type"] in ("integer", "number"), name
            if "enum" in prop:
                assert prop["default"] in prop["enum"]
            else:
                assert prop["minimum"] <= prop["default"] <= prop["maximum"]
    rsi = next(s for s in doc["indicators"] if s["x-indicator"] == "rsi")
    assert rsi["properties"]["timeperiod"] == {"type": "integer", "default": 14,
                                               "description": "Time period",
                                               "minimum": 2, "maximum": 100000}


def test_one_group_only() -> None:
    doc = catalogue_schema("Pattern Recognition")
    assert doc["count"] == 61
    assert all(s["x-group"] == "Pattern Recognition" for s in doc["indicators"])
