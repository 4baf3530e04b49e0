"""Conditions: each type validates, round-trips through JSON and appears in the JSON schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stockflow.alerts.conditions import (
    Comparison,
    Side,
    Source,
    Threshold,
    condition_json_schema,
    parse_condition,
)

EXAMPLES = [
    {"type": "price_above", "ticker": "AAPL", "level": 200},
    {"type": "price_below", "ticker": "AAPL", "level": 150, "hysteresis": 2},
    {"type": "crosses_above", "ticker": "BTC-USD", "level": 100_000},
    {"type": "crosses_below", "ticker": "MSFT", "level": 300},
    {"type": "pct_change", "ticker": "TSLA", "pct": 5, "window_seconds": 3600,
     "direction": "down"},
    {"type": "volume_spike", "ticker": "GME", "multiple": 3},
    {"type": "indicator", "ticker": "AAPL", "name": "rsi", "params": {"length": 14},
     "interval": "1d", "op": ">", "value": 70},
    {"type": "news", "ticker": "AAPL", "sentiment_at_most": -0.5},
    {"type": "news", "ticker": "AAPL", "event_type": "earnings"},
    {"type": "fundamental", "ticker": "AAPL", "metric": "pe_ratio", "op": "<", "value": 15},
    {"type": "prediction", "ticker": "AAPL", "metric": "var_pct", "op": ">=", "value": 4},
    {"type": "signal", "ticker": "AAPL", "name": "golden_cross", "direction": "long"},
    {"type": "market_status", "exchange": "XNYS", "on": "open"},
]


@pytest.mark.parametrize("data", EXAMPLES, ids=lambda d: d["type"])
def test_each_type_round_trips(data):
    cond = parse_condition(data)
    assert cond.type == data["type"]
    again = parse_condition(cond.model_dump(mode="json"))
    assert again == cond


def test_schema_has_one_branch_per_type():
    schema = condition_json_schema()
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == {d["type"] for d in EXAMPLES}
    assert len(schema["oneOf"]) == 12


@pytest.mark.parametrize("bad", [
    {"type": "price_above", "ticker": "AAPL", "level": -1},
    {"type": "price_above", "ticker": "AAPL", "level": float("nan")},
    {"type": "price_above", "ticker": "AAPL", "level": 1, "extra": 2},
    {"type": "price_above", "ticker": "AA PL", "level": 1},
    {"type": "news", "ticker": "AAPL"},
    {"type": "news", "ticker": "AAPL", "sentiment_at_most": -0.5, "event_type": "x"},
    {"type": "indicator", "ticker": "AAPL", "name": "rsi", "op": "!=", "value": 1},
    {"type": "market_status", "exchange": "xnys", "on": "open"},
    {"type": "nope", "ticker": "AAPL"},
])
def test_bad_conditions_are_refused(bad):
    with pytest.raises(ValidationError):
        parse_condition(bad)


def test_indicator_metric_is_canonical_whatever_the_param_order():
    a = parse_condition({"type": "indicator", "ticker": "X", "name": "macd", "op": ">",
                         "value": 0, "params": {"fast": 12, "slow": 26}})
    b = parse_condition({"type": "indicator", "ticker": "X", "name": "macd", "op": ">",
                         "value": 0, "params": {"slow": 26, "fast": 12}})
    assert a.threshold().metric == b.threshold().metric == "macd(fast=12,slow=26)@1d"
    assert a.source is Source.INDICATOR


def test_threshold_sides_and_rearm_points():
    above = Threshold("price", Side.ABOVE, 100.0)
    assert above.holds(100.01) and not above.holds(100.0)
    assert above.rearms(99.0, 1.0) and not above.rearms(99.5, 1.0)
    below = Threshold("price", Side.BELOW, 100.0, inclusive=True)
    assert below.holds(100.0) and below.rearms(100.01, 0.0)
    assert Comparison.LE.side is Side.BELOW and Comparison.LE.inclusive


def test_news_matching():
    neg = parse_condition({"type": "news", "ticker": "AAPL", "sentiment_at_most": -0.5})
    assert neg.matches(-0.6, frozenset()) and not neg.matches(-0.4, frozenset())
    assert not neg.matches(None, frozenset()) and not neg.matches(float("nan"), frozenset())
    kind = parse_condition({"type": "news", "ticker": "AAPL", "event_type": "earnings"})
    assert kind.matches(None, frozenset({"earnings"})) and not kind.matches(0.9, frozenset())
