"""The intel context's settings (`STOCKFLOW_INTEL__...`); the key is seed 001's OPENAI_API_KEY."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

OPENAI_URL = "https://api.openai.com/v1"


class IntelSettings(BaseModel):
    enabled: bool = True
    # No base URL and no key: no model is called and every brief is the offline template.
    # A key alone means OpenAI itself; a base URL points at any OpenAI-compatible server
    # (Ollama's http://localhost:11434/v1, vLLM, llama.cpp's server), with or without a key.
    base_url: str | None = Field(None, description="OpenAI-compatible /v1 base URL")
    api_key: SecretStr | None = Field(None, description="else OPENAI_API_KEY")
    model: str = "gpt-4o-mini"
    timeout_seconds: float = Field(30.0, gt=0, le=600)
    retries: int = Field(2, ge=0, le=10, description="retries of a retryable failure")
    backoff_base_seconds: float = Field(0.5, ge=0, le=60)
    stream: bool = Field(False, description="ask for server-sent events")
    max_tokens: int = Field(600, ge=50, le=8000)
    temperature: float = Field(0.0, ge=0, le=2)
    # Prices in USD per million tokens of the model in use, for the cost metric.
    price_input_per_million: float = Field(0.0, ge=0)
    price_output_per_million: float = Field(0.0, ge=0)
    breaker_failures: int = Field(3, ge=1, le=100)
    breaker_reset_seconds: float = Field(120.0, gt=0)
    cache_seconds: int = Field(900, ge=0, description="a brief, per ticker and facts version")
    facts_seconds: int = Field(60, ge=0, description="an assembled facts bundle")
    source_timeout_seconds: float = Field(15.0, gt=0, description="each fact source")
    news_days: int = Field(7, ge=1, le=90)
    news_limit: int = Field(5, ge=0, le=20)
    forecast: bool = Field(True, description="forecast facts (fitted on request if needed)")
    forecast_days: int = Field(5, ge=1, le=7)
    risk: bool = True
    # Market-wide brief: these tickers, else the largest equities of each exchange.
    market_tickers: list[str] = Field(default_factory=list)
    market_leaders_per_exchange: int = Field(3, ge=1, le=20)
    watchlist_max_tickers: int = Field(10, ge=1, le=50)
