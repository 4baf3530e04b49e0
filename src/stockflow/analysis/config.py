"""Proposed settings of the analysis context (the `analysis` section of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class SecSettings(BaseModel):
    enabled: bool = Field(False, description="Fetch statements from SEC EDGAR (no key needed).")
    user_agent: str = Field("", description="SEC requires a User-Agent naming a contact, e.g. "
                            "'StockFlow ops@example.com'.")
    max_per_second: float = Field(10.0, gt=0, le=10, description="SEC's fair-access limit.")


class VendorKey(BaseModel):
    enabled: bool = False
    api_key: SecretStr | None = None


class AnalysisSettings(BaseModel):
    enabled: bool = True
    sources: list[str] = Field(["sec", "alphavantage", "polygon", "yahoo", "simulated"],
                               description="Fundamentals sources, tried in order; disabled ones "
                               "are skipped. `simulated` answers for the simulated universe.")
    sec: SecSettings = SecSettings()
    alphavantage: VendorKey = VendorKey()
    polygon: VendorKey = VendorKey()
    yahoo: VendorKey = VendorKey(enabled=False)
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
    max_compare: int = Field(50, ge=1, description="Tickers per POST /v1/compare.")
    max_indicators: int = Field(50, ge=1)
