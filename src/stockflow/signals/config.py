"""The signal engine's settings section (`STOCKFLOW_SIGNALS__...`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SignalsSettings(BaseModel):
    enabled: bool = True
    intervals: list[str] = Field(
        ["1d"], description="Bar intervals whose closes the worker turns into signals.")
    history_bars: int = Field(
        300, ge=60, le=5000,
        description="Bars read behind a current signal: the slowest built-in indicator (a "
                    "100-bar volatility mean) plus warm-up for the exponential ones.")
    warmup_bars: int = Field(
        250, ge=50, le=2000,
        description="Bars loaded before a backtest's start, so indicators are warm on day one.")
    warmup_check_bars: int = Field(
        250, ge=50, le=2000,
        description="Extra bars the warm-up check loads on top of warmup_bars.")
    lookahead_samples: int = Field(
        6, ge=1, le=50, description="Dates of a backtest where the truncation check recomputes "
                                    "the signals on data cut at that date.")
    commission_bps: float = Field(1.0, ge=0, le=500,
                                  description="Default commission per traded notional, bp.")
    slippage_bps: float = Field(2.0, ge=0, le=500,
                                description="Default slippage against the next open, bp.")
    max_tickers: int = Field(20, ge=1, le=200,
                             description="Tickers one multi-asset backtest may hold.")
    max_strategies_per_owner: int = Field(100, ge=1, le=10_000)
    scan_us_cron: str = Field("30 12 * * 1-5",
                              description="Pre-market scan before the US open (UTC).")
    scan_india_cron: str = Field("0 3 * * 1-5",
                                 description="Pre-market scan before the NSE open (UTC).")
