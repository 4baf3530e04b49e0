"""The market context's settings sections: the simulated market, vendors, failover, ingestion
and the quote stream."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class SimulatorSettings(BaseModel):
    enabled: bool = True
    seed: int = 42
    backfill_years: int = Field(5, ge=1, le=20)
    backfill_minute_days: int = Field(5, ge=1, le=30)
    backfill_on_start: bool = True
    tick_interval_seconds: float = Field(1.0, gt=0)


class ProviderSettings(BaseModel):
    """One vendor (`STOCKFLOW_PROVIDERS__<NAME>__...`). An entry is what switches a provider on:
    keyed vendors need `api_key`; keyless ones (yahoo, binance, coingecko) need `enabled`."""

    api_key: SecretStr | None = None
    base_url: str | None = None
    enabled: bool = True
    timeout: float = Field(10.0, gt=0, description="seconds per HTTP request")
    client_id: str | None = Field(None, description="Dhan's client id (sent beside the token)")
    # Token bucket: `capacity` calls at once, refilled at `rate` calls a second. None: the
    # vendor's published free-tier default (see market/providers.py).
    rate: float | None = Field(None, gt=0)
    capacity: float | None = Field(None, gt=0)
    cost_per_call: float = Field(0.0, ge=0, description="USD per call, for the cost estimate")
    # Binance's trade stream and Dhan's live feed: ticks pushed into the pipeline as they
    # happen; the tickers a stream covers are then not polled.
    stream: bool = False
    stream_url: str | None = None


class BreakerSettings(BaseModel):
    """A circuit breaker per provider and chain: opens after `failure_threshold` failures in a
    row, or when `failure_rate` of the last `window` calls failed (after `min_calls`)."""

    failure_threshold: int | None = Field(5, ge=1)
    failure_rate: float | None = Field(None, gt=0, le=1)
    window: int = Field(20, ge=1)
    min_calls: int = Field(10, ge=1)
    reset_timeout: float = Field(30.0, gt=0, description="seconds open before one probe")


class FailoverSettings(BaseModel):
    """Provider chains per asset class (seeds 002 §2, 003, 004)."""

    chains: dict[str, list[str]] = Field(default_factory=lambda: {
        "equity": ["polygon", "yahoo", "alphavantage"],
        "crypto": ["coingecko", "binance"],
        "nse": ["dhan"],
        "fx": ["alphavantage", "ecb"],
    })
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)
    breaker_store_url: str = Field(
        "memory://", description="memory:// or redis://... to share breaker state")
    max_jump_pct: float | None = Field(
        20.0, gt=0, description="a price this far from the last good one is a data-quality issue")
    call_timeout: float = Field(10.0, gt=0, description="seconds for one provider call")
    retries: int = Field(1, ge=0, description="extra attempts per provider, full-jitter backoff")
    retry_base_seconds: float = Field(0.2, gt=0)
    max_stale_seconds: float = Field(
        3600.0, gt=0, description="serve a cached quote this old when every provider fails")


class IngestionSettings(BaseModel):
    """Scheduled pulls from real providers into the pipeline (seed 002 §8); the cadence is the
    `quote-ingestion` and `daily-bars` jobs' (jobs.schedules)."""

    tickers: list[str] = Field(default_factory=list,
                               description="watched tickers; empty = the whole universe")
    market_hours_only: bool = True
    daily_bars_days: int = Field(5, ge=1, description="days of daily bars fetched after close")


class StreamSettings(BaseModel):
    heartbeat_seconds: float = Field(15.0, gt=0)
