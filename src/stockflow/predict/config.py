"""Settings of the predict context (section `predict`, env STOCKFLOW_PREDICT__...)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class PredictSettings(BaseModel):
    enabled: bool = Field(True, description="Serve predictions and run the predict jobs.")
    history_days: int = Field(
        750, ge=60, le=5000,
        description="Daily bars read per ticker: enough for the backtests (forecast origins, a "
                    "250-day VaR window plus 250 backtest days).")
    forecast_origins: int = Field(20, ge=3, le=200,
                                  description="Rolling-origin backtest origins per forecast.")
    forecast_step: int = Field(5, ge=1, le=60, description="Bars between backtest origins.")
    skill_window: int = Field(10, ge=1, description="Recent origins the ensemble weighs.")
    fit_budget_seconds: float = Field(
        5.0, gt=0, description="Wall time an online request may spend fitting models; models "
                               "left when it is spent are skipped and named in the answer.")
    registry_max_age_hours: float = Field(
        24.0 * 8, gt=0, description="A registered model younger than this is used online "
                                    "instead of fitting (weekly training plus a day's slack).")
    cache_seconds: float = Field(
        3600.0, gt=0, description="How long a registered model's refitted path is cached "
                                  "(a new bar or version makes a new entry anyway).")
    var_backtest_days: int = Field(250, ge=50, le=2000,
                                   description="Days of VaR backtest (Basel: 250).")
    var_window: int = Field(250, ge=100, description="Returns behind each backtested VaR.")
    var_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Ticker → 99 % one-day historical VaR above which risk.threshold.exceeded "
                    "is published (a fraction, 0.05 = 5 %).")
    anomaly_contamination: float = Field(0.01, gt=0, lt=0.5)
    anomaly_z_threshold: float = Field(5.0, gt=0)
    object_store_url: str | None = Field(
        None, description="Model registry: file:///folder or s3://bucket/prefix; unset is the "
                          "folder models/ under data_dir.")
    s3_endpoint_url: str | None = Field(None, description="Any S3-compatible endpoint.")
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    dask_scheduler: str | None = Field(
        None, description="tcp://host:8786 runs training and batch predictions on that Dask "
                          "cluster; unset runs them in local processes.")
    local_workers: int = Field(2, ge=1, description="Processes of the local executor.")
    batch_tickers: list[str] = Field(
        default_factory=list, description="Tickers of the jobs; empty is the whole universe.")
