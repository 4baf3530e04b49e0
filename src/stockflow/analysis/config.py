"""Settings of the analysis context (the `analysis` section: `STOCKFLOW_ANALYSIS__...`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class VendorSettings(BaseModel):
    """One fundamentals vendor. Keyed vendors need `api_key` as well as `enabled`."""

    enabled: bool = False
    api_key: SecretStr | None = None
    base_url: str | None = Field(None, description="The vendor's API root; its own by default.")
    timeout: float = Field(10.0, gt=0, description="Seconds per HTTP request.")


class SecSettings(VendorSettings):
    user_agent: str = Field("", description="SEC requires a User-Agent naming a contact, e.g. "
                            "'StockFlow ops@example.com'.")
    tickers_url: str | None = Field(None, description="SEC's ticker → CIK map; SEC's own file "
                                    "by default.")
    max_per_second: float = Field(10.0, gt=0, le=10, description="SEC's fair-access limit.")


class AnalysisSettings(BaseModel):
    enabled: bool = True
    sources: list[str] = Field(["sec", "alphavantage", "polygon", "yahoo", "simulated"],
                               description="Fundamentals sources, tried in order; disabled ones "
                               "are skipped. `simulated` answers for the simulated universe.")
    simulated: bool = Field(True, description="Simulated statements for the simulated equities.")
    sec: SecSettings = SecSettings()
    alphavantage: VendorSettings = VendorSettings()
    polygon: VendorSettings = VendorSettings()
    yahoo: VendorSettings = VendorSettings()
    preload: bool = Field(True, description="At start, store the statements of every equity "
                          "the sources answer for that has none yet, in the background.")
    sync_cron: str = Field("30 21 * * 1-5", description="Daily statement sync, after the US "
                           "close (21:30 UTC).")
    metrics_ttl_seconds: int = Field(3600, ge=0, description="Cache TTL of computed metrics.")
    market_proxy: dict[str, str] = Field({"US": "SPY"}, description="Index per country whose "
                                         "returns estimate beta; no proxy means beta 1.")
    beta_days: int = Field(756, ge=60, description="Daily returns used for beta (3 years).")
    risk_free: float = Field(0.042, description="Risk-free rate for CAPM and DCF.")
    equity_risk_premium: float = Field(0.05)
    terminal_growth: float = Field(0.025)
    dcf_years: int = Field(5, ge=1, le=30)
    default_tax_rate: float = Field(0.21, ge=0, lt=1)
    max_compare: int = Field(50, ge=1, le=50, description="Tickers per POST /v1/compare.")
