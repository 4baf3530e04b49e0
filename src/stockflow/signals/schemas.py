"""Wire models of the signal engine's routes (they make the OpenAPI description). The user
strategy document is document.StrategyDocument, whose JSON Schema the grammar validates with."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from stockflow.signals.document import StrategyDocument


class SignalOut(BaseModel):
    strategy: str
    action: Literal["buy", "sell", "hold"]
    strength: float
    confidence: float
    reasons: list[dict[str, Any]]


class CurrentOut(BaseModel):
    ticker: str
    as_of: str
    interval: str
    bar_time: str
    signals: list[SignalOut]
    ensemble: SignalOut


class CurrentEnvelope(BaseModel):
    data: CurrentOut
    meta: dict[str, Any]


class BacktestRequest(BaseModel):
    tickers: list[str] = Field(min_length=1, max_length=200)
    strategy: StrategyDocument | None = Field(
        None, description="a user strategy document; or name a saved or built-in one")
    strategy_id: str | None = Field(None, description="a saved strategy's id, or a built-in "
                                                      "strategy's name")
    start: datetime | None = None
    end: datetime | None = None
    weighting: Literal["equal", "signal"] = "equal"
    commission_bps: float | None = Field(None, ge=0, le=500)
    slippage_bps: float | None = Field(None, ge=0, le=500)


class BacktestEnvelope(BaseModel):
    data: dict[str, Any]
    meta: dict[str, Any]


class StrategyOut(BaseModel):
    id: str
    name: str
    document: dict[str, Any]
    created_at: str


class StrategyEnvelope(BaseModel):
    data: StrategyOut
    meta: dict[str, Any]


class StrategiesEnvelope(BaseModel):
    data: list[StrategyOut]
    meta: dict[str, Any]
