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
    # The edge answers the quote routes before FastAPI (same bodies and errors); off for debugging.
    fast_path: bool = True


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


class PubSubSettings(BaseModel):
    url: str = "memory://"


class PipelineSettings(BaseModel):
    """The tick pipeline of seed 003."""

    lateness_seconds: float = Field(120.0, ge=0, description="late ticks within this update bars")
    max_future_seconds: float = Field(5.0, ge=0, description="ticks further ahead are rejected")
    symbol_map: dict[str, str] = Field(default_factory=dict, description="raw symbol -> ticker")
    dedup: bool = Field(True, description="idempotent writes; off only for the crash-test control")
    storage_batch_events: int = Field(50, ge=1, description="processed-tick events per write")
    crash_after_commits: int = Field(
        0, ge=0, description="crash drill: the storage worker exits hard after this many commits, "
        "before acknowledging the last batch (0 = never)")
    processor_batch_events: int = Field(64, ge=1)


class StreamSettings(BaseModel):
    heartbeat_seconds: float = Field(15.0, gt=0)


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


WORKERS = ("ingestion", "processor", "storage", "realtime")


class ServicesSettings(BaseModel):
    """What a process runs; `stockflow up` runs everything, `worker NAME` one worker."""

    market_data: bool = True
    live_quotes: bool = Field(True, description="run the ingestion loop and market-status watcher")
    workers: list[str] = Field(default_factory=lambda: list(WORKERS))


class KubernetesSettings(BaseModel):
    """Maintenance inside Kubernetes (seed 000): PATCH the ConfigMap, restart the deployments."""

    enabled: bool = False
    api_url: str = "https://kubernetes.default.svc"
    namespace: str = "default"
    configmap: str = "maintenance-config"
    restart_deployments: list[str] = Field(default_factory=lambda: ["signal-engine"])
    # The pod's service account, mounted by Kubernetes at these paths.
    token_path: Path = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
    ca_path: Path | None = Path("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt")
    timeout_seconds: float = Field(10.0, gt=0)


class ControlSettings(BaseModel):
    """The controller (seed 000): /api/admin/* behind X-API-Key, maintenance, the health chain."""

    # Seed 000 names the variable SF_API_KEY; it is honoured as it is (see Settings below).
    api_key: SecretStr | None = None
    maintenance_refresh_seconds: float = Field(
        0.5, gt=0, le=1.0, description="how often each instance re-reads the shared flag")
    maintenance_retry_after: int = Field(60, ge=1, description="Retry-After of maintenance 503s")
    health_targets: list[str] = Field(
        default_factory=list, description="base URLs of services the health-check job probes "
        "over HTTP; empty = check this process's components")
    health_timeout_seconds: float = Field(5.0, gt=0)
    kubesnap_url: str | None = None
    kubesnap_api_key: SecretStr | None = None
    deploy_type: str = "stockflow"
    event_dispatcher_url: str | None = None
    event_dispatcher_api_key: SecretStr | None = None
    alert_attempts: int = Field(4, ge=1, description="Event Dispatcher POSTs before giving up")
    alert_backoff_base_seconds: float = Field(0.5, ge=0)
    alert_backoff_cap_seconds: float = Field(10.0, ge=0)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)


class JobsSettings(BaseModel):
    """The scheduler: cron per job (5 fields, or 6 with seconds first), one run at a time."""

    enabled: bool = True
    schedules: dict[str, str] = Field(default_factory=dict, description="job -> cron override")
    disabled: list[str] = Field(default_factory=list, description="jobs the scheduler skips")
    lock_ttl_seconds: float = Field(300.0, gt=0, description="lease, renewed while a job runs")


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
    pubsub: PubSubSettings = Field(default_factory=PubSubSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    streams: StreamSettings = Field(default_factory=StreamSettings)
    simulator: SimulatorSettings = Field(default_factory=SimulatorSettings)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    services: ServicesSettings = Field(default_factory=ServicesSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    control: ControlSettings = Field(default_factory=ControlSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    # The seeds' own names, read as they are (no STOCKFLOW_ prefix).
    sf_api_key: SecretStr | None = Field(None, validation_alias="SF_API_KEY")

    @model_validator(mode="after")
    def _resolve_defaults(self) -> Settings:
        if self.control.api_key is None and self.sf_api_key is not None:
            self.control.api_key = self.sf_api_key
        if not self.storage.url:
            self.storage.url = f"sqlite:///{(self.data_dir / 'stockflow.db').as_posix()}"
        return self


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and .env; keyword overrides win (used by tests and CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
