"""The user strategy document as pydantic models: the one source of its JSON Schema (2020-12),
which validates documents (grammar.py) and which OpenAPI publishes with its definitions in
`components/schemas`. A model here states shape only; references are checked in grammar.py."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

PRICES = ("open", "high", "low", "close", "volume")
OPS = ("<", "<=", ">", ">=", "crosses_above", "crosses_below")
ID = "^[a-z][a-z0-9_]{0,31}$"
NAME = r"^[a-z][a-z0-9_]{0,31}(\.[a-z0-9_]{1,32})?$"


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StrategyRef(_Closed):
    ref: Annotated[str, Field(pattern=NAME)]
    bars_ago: Annotated[int, Field(0, ge=0, le=500, description="look back; never forward")]


Operand = Union[  # noqa: UP007 - the JSON Schema's anyOf order follows this one
    float,
    Annotated[str, Field(pattern=NAME, description="a price (open, high, low, close, volume), "
                         "an indicator id, or id.output for one with several outputs")],
    StrategyRef]


class StrategyComparison(_Closed):
    left: Operand
    op: Literal["<", "<=", ">", ">=", "crosses_above", "crosses_below"]
    right: Operand


class StrategyAll(_Closed):
    all: Annotated[list[StrategyCondition], Field(min_length=1, max_length=50)]


class StrategyAny(_Closed):
    any: Annotated[list[StrategyCondition], Field(min_length=1, max_length=50)]


class StrategyNot(_Closed):
    not_: Annotated[StrategyCondition, Field(alias="not")]


StrategyCondition = Union[StrategyComparison, StrategyAll, StrategyAny, StrategyNot]  # noqa: UP007


class StrategyIndicator(_Closed):
    fn: Annotated[str, Field(description="a TA-Lib function, lower case (e.g. rsi, bbands)")]
    params: dict[str, float] = Field(default_factory=dict)
    input: Literal["open", "high", "low", "close", "volume"] | None = Field(
        None, description="the price a one-input function reads")


class StrategyFixedSizing(_Closed):
    type: Literal["fixed"]
    fraction: Annotated[float, Field(1.0, gt=0, le=1)]


class StrategyVolatilitySizing(_Closed):
    type: Literal["volatility_target"]
    target: Annotated[float, Field(gt=0, le=2, description="annualised volatility aimed at")]
    lookback: Annotated[int, Field(20, ge=5, le=250)]
    max_fraction: Annotated[float, Field(1.0, gt=0, le=1)]


class StrategyDocument(_Closed):
    """A user strategy: indicators, entry and exit conditions, direction and sizing."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=2000)] | None = None
    interval: Literal["1d", "1h", "15m", "5m", "1m"] = "1d"
    indicators: Annotated[dict[Annotated[str, Field(pattern=ID)], StrategyIndicator],
                          Field(default_factory=dict, max_length=20)]
    entry: StrategyCondition
    exit: StrategyCondition | None = Field(None, description="default: when entry no longer holds")
    direction: Literal["long", "short"] = "long"
    sizing: Annotated[StrategyFixedSizing | StrategyVolatilitySizing, Field(discriminator="type")] | None = None


@cache
def json_schema() -> dict:
    out = StrategyDocument.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **out}
