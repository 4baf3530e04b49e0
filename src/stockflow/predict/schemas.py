"""Wire models of the predict context's routes: requests validated here, answers typed (they
make the OpenAPI description)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from stockflow.predict.correlation import MAX_TICKERS


class ForecastDay(BaseModel):
    day: int = Field(ge=1, le=7)
    point: float | None
    lo_80: float | None
    hi_80: float | None
    lo_95: float | None
    hi_95: float | None
    change_pct: float | None


class BacktestScore(BaseModel):
    model: str
    mase: float | None = Field(description="MAE over MAE of naive on the same origins; < 1 "
                                           "beat the random walk.")
    mase_by_day: list[float | None]
    coverage_80: float
    coverage_95: float
    origins: int


class PriceForecast(BaseModel):
    ticker: str
    source: str = Field(description="'fitted on request' or 'registry <kind>/<ticker>/v<n>'.")
    days: list[ForecastDay]
    last_close: float
    model: str
    skill: Literal["none", "some"]
    mase: float | None
    weights: dict[str, float]
    backtest: list[BacktestScore]
    fitting: dict | None = None
    cached: bool = Field(False, description="a registered model's path served from the cache")
    observations: int
    constant_series: bool
    gaps: int


class VolatilityAnswer(BaseModel):
    ticker: str
    models: dict[str, dict]
    realised: dict[str, dict]
    periods_per_year: int
    observations: int
    notes: list[str]


class RiskAnswer(BaseModel):
    ticker: str
    benchmark: str | None
    var_es: dict[str, dict]
    drawdown: dict
    downside_deviation: dict[str, float | None]
    beta: float | None
    backtests: dict | None
    threshold: dict
    observations: int
    notes: list[str]


class CorrelationQuery(BaseModel):
    tickers: list[str] = Field(min_length=1, max_length=MAX_TICKERS)
    method: Literal["pearson", "spearman"] = "pearson"
    window: int | None = Field(None, ge=20, le=2000)
    rolling_step: int | None = Field(None, ge=1)

    @field_validator("tickers")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        seen = list(dict.fromkeys(t.strip().upper() for t in v if t.strip()))
        if not seen:
            raise ValueError("give at least one ticker")
        return seen


class PortfolioRequest(BaseModel):
    """Weights by ticker (summing to one; not normalised) or a stored portfolio id."""

    weights: dict[str, float] | None = None
    portfolio_id: str | None = None
    long_only: bool = True
    risk_free: float = Field(0.0, ge=-0.05, le=0.5, description="Annual, as a fraction.")
    benchmark: str | None = None
    optimise: Literal["min_variance", "max_sharpe", "risk_parity"] | None = None
    max_weight: float | None = Field(None, gt=0, le=1)
    frontier_points: int = Field(0, ge=0, le=50)

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None and not 1 <= len(v) <= MAX_TICKERS:
            raise ValueError(f"between 1 and {MAX_TICKERS} weights")
        return v

    def model_post_init(self, _context: object) -> None:
        if (self.weights is None) == (self.portfolio_id is None):
            raise ValueError("give either weights or portfolio_id")


class PriceEnvelope(BaseModel):
    data: PriceForecast
    meta: dict[str, object]


class VolatilityEnvelope(BaseModel):
    data: VolatilityAnswer
    meta: dict[str, object]


class RiskEnvelope(BaseModel):
    data: RiskAnswer
    meta: dict[str, object]
