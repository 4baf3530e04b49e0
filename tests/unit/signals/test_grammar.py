"""User strategy documents: the JSON Schema refuses what is malformed (forward-looking operands
included), references are checked, and a valid document compiles to the masks it describes."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from stockflow.core.problems import Problem
from stockflow.signals import grammar
from stockflow.signals.domain import BUY, HOLD, SELL
from tests.unit.signals.support import series, walk

RSI = {"name": "rsi dip", "indicators": {"rsi": {"fn": "rsi", "params": {"timeperiod": 14}}},
       "entry": {"left": "rsi", "op": "<", "right": 30},
       "exit": {"left": "rsi", "op": ">", "right": 70}}


def refused(doc) -> dict:
    with pytest.raises(Problem) as caught:
        grammar.validate(doc)
    assert caught.value.status == 422
    return caught.value.extra


@pytest.mark.parametrize("doc, where", [
    ({"entry": RSI["entry"]}, []),                                        # no name
    ({**RSI, "code": "import os"}, []),                                   # unknown member
    ({**RSI, "entry": {"left": "close", "op": "~", "right": 1}}, ["entry"]),
    ({**RSI, "entry": {"left": {"ref": "close", "bars_ago": -1}, "op": ">", "right": 1}},
     ["entry"]),                                                          # looking forward
    ({**RSI, "indicators": {"rsi": {"fn": "exec"}}}, ["indicators", "rsi", "fn"]),
    ({**RSI, "sizing": {"type": "fixed", "fraction": 1.5}}, ["sizing"]),
    ({**RSI, "entry": {"all": []}}, ["entry"]),
    ({**RSI, "entry": {"left": "__import__", "op": "<", "right": 1}}, ["entry"]),
])
def test_the_schema_refuses_malformed_documents(doc, where):
    errors = refused(doc)["errors"]
    assert errors and errors[0]["loc"][:1 + len(where)] == ["body", *where]


def test_a_oneof_refusal_says_what_is_wrong_in_the_closest_branch():
    errors = refused({**RSI, "entry": {"left": "close", "op": "~", "right": 1}})["errors"]
    assert "'~' is not one of" in errors[0]["msg"]


@pytest.mark.parametrize("doc, message", [
    ({**RSI, "entry": {"left": "macd", "op": ">", "right": 0}}, "neither a price nor"),
    ({**RSI, "indicators": {"bb": {"fn": "bbands"}},
      "entry": {"left": "close", "op": "<", "right": "bb"}}, "name one as bb.<output>"),
    ({**RSI, "indicators": {"bb": {"fn": "bbands"}},
      "entry": {"left": "close", "op": "<", "right": "bb.bottom"}}, "has no output 'bottom'"),
    ({**RSI, "indicators": {"rsi": {"fn": "rsi", "params": {"period": 14}}}},
     "has no parameter 'period'"),
    ({**RSI, "indicators": {"rsi": {"fn": "atr", "input": "high"}}}, "not one chosen price"),
])
def test_references_must_name_what_the_document_defines(doc, message):
    errors = refused(doc)["errors"]
    assert message in errors[0]["msg"]


def test_the_schema_is_valid_json_schema_2020_12():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(grammar.schema())
    assert {"StrategyComparison", "StrategyAll", "StrategyAny", "StrategyNot", "StrategyIndicator",
         "StrategyRef"} <= set(
        grammar.schema()["$defs"])
    assert grammar.validate(RSI) is RSI


def test_conditions_nest_at_most_five_levels():
    leaf = {"left": "close", "op": ">", "right": 1}
    deep = leaf
    for _ in range(6):
        deep = {"not": deep}
    assert "at most 5 levels" in refused({**RSI, "entry": deep})["errors"][0]["msg"]
    five = leaf
    for _ in range(5):
        five = {"not": five}
    grammar.validate({**RSI, "entry": five})


def test_an_indicator_may_not_take_a_price_name():
    doc = {**RSI, "indicators": {"close": {"fn": "sma"}}}
    assert "is a price" in refused(doc)["errors"][0]["msg"]


def test_a_document_compiles_to_the_conditions_it_states():
    s = walk(300)
    track = grammar.Compiled(grammar.validate(RSI), "user:x").track(s)
    rsi = talib.RSI(s.close, 14)
    with np.errstate(invalid="ignore"):
        assert ((track.action == BUY) == ((rsi < 30) & ~(rsi > 70))).all()
        assert ((track.action == SELL) == (rsi > 70)).all()
    first = int(np.argmax(track.action == BUY))
    assert track.reasons(first) == [{"rule": "entry: rsi < 30",
                                     "values": {"rsi": round(float(rsi[first]), 6), "30": 30.0}}]


def test_crosses_bars_ago_all_any_not():
    close = [10, 11, 12, 11, 10, 12, 13, 9]
    doc = grammar.validate({
        "name": "x", "indicators": {"sma": {"fn": "sma", "params": {"timeperiod": 2}}},
        "entry": {"all": [{"left": "close", "op": "crosses_above", "right": "sma"},
                          {"not": {"left": "close", "op": "<",
                                   "right": {"ref": "close", "bars_ago": 1}}}]},
        "exit": {"any": [{"left": "close", "op": "crosses_below", "right": "sma"},
                         {"left": "close", "op": ">=", "right": 13}]}})
    t = grammar.Compiled(doc, "x").track(series(close))
    # sma(2): nan, 10.5, 11.5, 11.5, 10.5, 11, 12.5, 11 → close-sma crosses up at bar 5,
    # down at bar 3 and bar 7; close >= 13 at bar 6.
    assert t.action.tolist() == [HOLD, HOLD, HOLD, SELL, HOLD, BUY, SELL, SELL]


def test_without_an_exit_a_position_ends_when_entry_stops_holding():
    doc = grammar.validate({"name": "x", "entry": {"left": "close", "op": ">", "right": 10}})
    t = grammar.Compiled(doc, "x").track(series([9, 11, 12, 9]))
    assert t.action.tolist() == [SELL, BUY, BUY, SELL]


def test_integer_parameters_arrive_as_json_numbers_and_must_be_whole():
    doc = grammar.validate({**RSI, "indicators": {"rsi": {"fn": "rsi",
                                                          "params": {"timeperiod": 14.0}}}})
    track = grammar.Compiled(doc, "x").track(walk(100))
    assert np.allclose(track.indicators["rsi"], talib.RSI(walk(100).close, 14), equal_nan=True)
    half = {**RSI, "indicators": {"rsi": {"fn": "rsi", "params": {"timeperiod": 14.5}}}}
    assert "whole number" in refused(half)["errors"][0]["msg"]
