"""Alert conditions: one pydantic model per rule type, a tagged union on `type`.

Every numeric condition reduces to a `Threshold` (which value, which side, which level, edge or
level triggered), so one state machine in `domain.py` fires them all. Event conditions (news event
types, signals, market open/close) match an event outright and fire on every matching event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

Ticker = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9.\-_:/^=]+$")]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Hysteresis = Annotated[float, Field(ge=0, allow_inf_nan=False, description=(
    "After firing, a recurring rule re-arms only once the value is this far back on the other "
    "side of the level (in the condition's own units; 0 = as soon as it is back)."))]


class Side(StrEnum):
    ABOVE = "above"
    BELOW = "below"


class Comparison(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="

    @property
    def side(self) -> Side:
        return Side.ABOVE if self in (Comparison.GT, Comparison.GE) else Side.BELOW

    @property
    def inclusive(self) -> bool:
        return self in (Comparison.GE, Comparison.LE)


class Source(StrEnum):
    """Which event stream feeds a condition; the evaluator routes events by it."""

    QUOTE = "quote"
    INDICATOR = "indicator"
    NEWS = "news"
    FUNDAMENTAL = "fundamental"
    PREDICTION = "prediction"
    SIGNAL = "signal"
    MARKET_STATUS = "market_status"


@dataclass(frozen=True, slots=True)
class Threshold:
    """A numeric condition in normal form: `value <side> level`, as an edge or as a level."""

    metric: str            # which observed value: "price", "pct_change", "volume_ratio", ...
    side: Side
    level: float
    inclusive: bool = False
    crossing: bool = False  # fires only on a transition from false to true, seen by this rule

    def holds(self, value: float) -> bool:
        if self.side is Side.ABOVE:
            return value >= self.level if self.inclusive else value > self.level
        return value <= self.level if self.inclusive else value < self.level

    def rearms(self, value: float, hysteresis: float) -> bool:
        """True once the value is back on the other side, at least `hysteresis` away."""
        if hysteresis <= 0:
            return not self.holds(value)
        if self.side is Side.ABOVE:
            return value <= self.level - hysteresis
        return value >= self.level + hysteresis


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def source(self) -> Source:
        raise NotImplementedError

    @property
    def key(self) -> str:
        """The stream key the condition listens to (ticker, exchange)."""
        return getattr(self, "ticker")  # noqa: B009 - every ticker condition has the field

    def threshold(self) -> Threshold | None:
        """The numeric normal form, or None for conditions that match events outright."""
        return None


class _Numeric(_Condition):
    hysteresis: Hysteresis = 0.0


class PriceAbove(_Numeric):
    type: Literal["price_above"] = "price_above"
    ticker: Ticker
    level: Finite = Field(gt=0)

    @property
    def source(self) -> Source:
        return Source.QUOTE

    def threshold(self) -> Threshold:
        return Threshold("price", Side.ABOVE, self.level)


class PriceBelow(PriceAbove):
    type: Literal["price_below"] = "price_below"  # type: ignore[assignment]

    def threshold(self) -> Threshold:
        return Threshold("price", Side.BELOW, self.level)


class CrossesAbove(PriceAbove):
    """Fires when the price moves from at-or-below the level to above it, as seen by this rule:
    a rule armed while the price is already above does not fire until it has been back."""

    type: Literal["crosses_above"] = "crosses_above"  # type: ignore[assignment]

    def threshold(self) -> Threshold:
        return Threshold("price", Side.ABOVE, self.level, crossing=True)


class CrossesBelow(PriceAbove):
    type: Literal["crosses_below"] = "crosses_below"  # type: ignore[assignment]

    def threshold(self) -> Threshold:
        return Threshold("price", Side.BELOW, self.level, crossing=True)


class PctChange(_Numeric):
    """The price moved at least `pct` percent (signed by `direction`) over the last `window`."""

    type: Literal["pct_change"] = "pct_change"
    ticker: Ticker
    pct: Finite = Field(gt=0, le=10_000)
    window_seconds: int = Field(ge=1, le=31 * 86_400)
    direction: Literal["up", "down"] = "up"

    @property
    def source(self) -> Source:
        return Source.QUOTE

    def threshold(self) -> Threshold:
        if self.direction == "up":
            return Threshold(f"pct_change:{self.window_seconds}", Side.ABOVE, self.pct, True)
        return Threshold(f"pct_change:{self.window_seconds}", Side.BELOW, -self.pct, True)


class VolumeSpike(_Numeric):
    """Session volume at least `multiple` × the average daily volume of `lookback_days`."""

    type: Literal["volume_spike"] = "volume_spike"
    ticker: Ticker
    multiple: Finite = Field(gt=1, le=1_000)
    lookback_days: int = Field(20, ge=1, le=250)

    @property
    def source(self) -> Source:
        return Source.QUOTE

    def threshold(self) -> Threshold:
        return Threshold(f"volume_ratio:{self.lookback_days}", Side.ABOVE, self.multiple, True)


class IndicatorCondition(_Numeric):
    """A catalogue indicator of the analysis context compared with a value, e.g. RSI(14) > 70."""

    type: Literal["indicator"] = "indicator"
    ticker: Ticker
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    params: dict[str, int | float | str] = Field(default_factory=dict, max_length=8)
    interval: Literal["1m", "5m", "15m", "1h", "1d", "1w"] = "1d"
    op: Comparison
    value: Finite

    @property
    def source(self) -> Source:
        return Source.INDICATOR

    @property
    def metric(self) -> str:
        """Canonical spelling, e.g. `rsi(length=14)@1d`: the indicator event carries the same."""
        args = ",".join(f"{k}={self.params[k]}" for k in sorted(self.params))
        return f"{self.name}({args})@{self.interval}"

    def threshold(self) -> Threshold:
        return Threshold(self.metric, self.op.side, self.value, self.op.inclusive)


class NewsCondition(_Condition):
    """An article mentioning the ticker with sentiment beyond a bound, or of an event type."""

    type: Literal["news"] = "news"
    ticker: Ticker
    sentiment_at_most: float | None = Field(None, ge=-1, le=1, allow_inf_nan=False)
    sentiment_at_least: float | None = Field(None, ge=-1, le=1, allow_inf_nan=False)
    event_type: str | None = Field(None, min_length=1, max_length=64)

    @property
    def source(self) -> Source:
        return Source.NEWS

    @model_validator(mode="after")
    def _one_criterion(self) -> NewsCondition:
        given = [self.sentiment_at_most, self.sentiment_at_least, self.event_type]
        if sum(v is not None for v in given) != 1:
            raise ValueError("give exactly one of sentiment_at_most, sentiment_at_least, "
                             "event_type")
        return self

    def matches(self, sentiment: float | None, event_types: frozenset[str]) -> bool:
        if self.event_type is not None:
            return self.event_type in event_types
        if sentiment is None or math.isnan(sentiment):
            return False
        if self.sentiment_at_most is not None:
            return sentiment <= self.sentiment_at_most
        return sentiment >= self.sentiment_at_least  # type: ignore[operator]


class FundamentalCondition(_Numeric):
    """A ratio or line item (as named by `financials.updated`) compared with a value."""

    type: Literal["fundamental"] = "fundamental"
    ticker: Ticker
    metric: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    op: Comparison
    value: Finite

    @property
    def source(self) -> Source:
        return Source.FUNDAMENTAL

    def threshold(self) -> Threshold:
        return Threshold(self.metric, self.op.side, self.value, self.op.inclusive)


class PredictionCondition(_Numeric):
    """A forecast move (percent) or value-at-risk beyond a value."""

    type: Literal["prediction"] = "prediction"
    ticker: Ticker
    metric: Literal["forecast_move_pct", "var_pct"]
    horizon: str = Field("1d", pattern=r"^[0-9]{1,3}[mhdw]$")
    op: Comparison
    value: Finite

    @property
    def source(self) -> Source:
        return Source.PREDICTION

    def threshold(self) -> Threshold:
        return Threshold(f"{self.metric}@{self.horizon}", self.op.side, self.value,
                         self.op.inclusive)


class SignalCondition(_Condition):
    """A signal of the signal engine, by name and optionally direction."""

    type: Literal["signal"] = "signal"
    ticker: Ticker
    name: str = Field(min_length=1, max_length=64)
    direction: Literal["long", "short", "any"] = "any"

    @property
    def source(self) -> Source:
        return Source.SIGNAL

    def matches(self, name: str, direction: str) -> bool:
        return name == self.name and self.direction in ("any", direction)


class MarketStatusCondition(_Condition):
    """An exchange opens or closes (MIC code, e.g. XNYS)."""

    type: Literal["market_status"] = "market_status"
    exchange: str = Field(min_length=3, max_length=8, pattern=r"^[A-Z0-9]+$")
    on: Literal["open", "close"]

    @property
    def source(self) -> Source:
        return Source.MARKET_STATUS

    @property
    def key(self) -> str:
        return self.exchange


Condition = Annotated[
    PriceAbove | PriceBelow | CrossesAbove | CrossesBelow | PctChange | VolumeSpike
    | IndicatorCondition | NewsCondition | FundamentalCondition | PredictionCondition
    | SignalCondition | MarketStatusCondition,
    Field(discriminator="type"),
]

CONDITION_ADAPTER: TypeAdapter[Condition] = TypeAdapter(Condition)
PRICE_TYPES = frozenset({"price_above", "price_below", "crosses_above", "crosses_below"})


def parse_condition(data: Any) -> Condition:
    """Validate a condition from its JSON form (raises pydantic.ValidationError)."""
    return CONDITION_ADAPTER.validate_python(data)


def condition_json_schema() -> dict[str, Any]:
    """The JSON schema of the union, one `oneOf` branch per type, for OpenAPI."""
    return CONDITION_ADAPTER.json_schema()

