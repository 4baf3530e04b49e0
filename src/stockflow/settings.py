"""One typed settings tree for every process shape (env prefix STOCKFLOW_, nesting with "__")."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class HttpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=list)
    access_log: bool = True


class StorageSettings(BaseModel):
    # Empty means "sqlite file under data_dir"; resolved in Settings so the folder can move.
    url: str = ""
    pool_size: int = Field(10, ge=1)
    echo: bool = False


class BusSettings(BaseModel):
    url: str = "memory://"
    max_retries: int = Field(3, ge=0)


class CacheSettings(BaseModel):
    url: str = "memory://"
    quote_ttl_seconds: float = Field(300.0, gt=0, description="Seeds 002/004: quotes live 5 minutes")
    max_entries: int = Field(100_000, ge=1)


class SimulatorSettings(BaseModel):
    enabled: bool = True
    seed: int = 42
    backfill_years: int = Field(5, ge=1, le=20)
    backfill_minute_days: int = Field(5, ge=1, le=30)
    backfill_on_start: bool = True
    tick_interval_seconds: float = Field(1.0, gt=0)


class ProviderSettings(BaseModel):
    api_key: SecretStr | None = None
    base_url: str | None = None
    enabled: bool = True


class ServicesSettings(BaseModel):
    """Which services a process runs; `stockflow up` keeps them all on."""

    market_data: bool = True
    live_quotes: bool = True


class LogSettings(BaseModel):
    level: str = "INFO"
    json_logs: bool = Field(True, alias="json")

    model_config = {"populate_by_name": True}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STOCKFLOW_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    environment: str = "development"
    data_dir: Path = Path("data")
    http: HttpSettings = Field(default_factory=HttpSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    bus: BusSettings = Field(default_factory=BusSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    simulator: SimulatorSettings = Field(default_factory=SimulatorSettings)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    services: ServicesSettings = Field(default_factory=ServicesSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    @model_validator(mode="after")
    def _resolve_defaults(self) -> Settings:
        if not self.storage.url:
            self.storage.url = f"sqlite:///{(self.data_dir / 'stockflow.db').as_posix()}"
        return self


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and .env; keyword overrides win (used by tests and CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
