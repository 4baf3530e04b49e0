"""One typed settings tree for every process shape (env prefix STOCKFLOW_, nesting with "__")."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
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
    history_days: float = Field(14.0, gt=0, description="finished runs kept in job_runs")


# OWASP's argon2id baseline (Password Storage Cheat Sheet): 19 MiB, two passes, one lane.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2


class AuthSettings(BaseModel):
    """Accounts, tokens, tiers and rate limits (seed 002 §1, §7 and its security section)."""

    issuer: str = "stockflow"
    audience: str = "stockflow-api"
    access_ttl_seconds: int = Field(900, ge=30, le=86_400)
    refresh_ttl_seconds: int = Field(30 * 86_400, ge=300)
    leeway_seconds: int = Field(30, ge=0, le=300, description="clock skew tolerated on exp/iat")
    # PEM RSA private keys; the first signs, all verify (several live during a rotation).
    signing_keys: list[SecretStr] = Field(default_factory=list)
    # "none": every /v1 data route needs a token; a tier: anonymous callers get that tier,
    # limited per IP address.
    anonymous_tier: Literal["none", "free", "pro", "enterprise"] = "free"
    rate_limits: dict[str, str] = Field(default_factory=lambda: {
        "free": "100/minute", "pro": "1000/minute", "enterprise": "10000/minute"})
    anonymous_rate_limit: str = "100/minute"
    login_limit_per_account: str = "5/minute"
    login_limit_per_ip: str = "30/minute"
    rate_limit_url: str = "memory://"
    rate_limit_prefix: str = "stockflow:rl"
    free_delay_seconds: int = Field(900, ge=0, description="free-tier quotes are this old")
    argon2_time_cost: int = Field(ARGON2_MIN_TIME_COST, ge=ARGON2_MIN_TIME_COST)
    argon2_memory_kib: int = Field(ARGON2_MIN_MEMORY_KIB, ge=ARGON2_MIN_MEMORY_KIB)
    argon2_parallelism: int = Field(1, ge=1)

    @field_validator("anonymous_rate_limit", "login_limit_per_account", "login_limit_per_ip")
    @classmethod
    def _one_limit(cls, value: str) -> str:
        from limits import parse

        parse(value)  # raises ValueError on a malformed limit such as "100 per fortnight"
        return value

    @field_validator("rate_limits")
    @classmethod
    def _tier_limits(cls, value: dict[str, str]) -> dict[str, str]:
        from limits import parse

        missing = {"free", "pro", "enterprise"} - set(value)
        if missing:
            raise ValueError(f"rate_limits needs every tier; missing {sorted(missing)}")
        for limit in value.values():
            parse(limit)
        return value


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
    failover: FailoverSettings = Field(default_factory=FailoverSettings)
    ingestion: IngestionSettings = Field(default_factory=IngestionSettings)
    services: ServicesSettings = Field(default_factory=ServicesSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    control: ControlSettings = Field(default_factory=ControlSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    # The seeds' own names, read as they are (no STOCKFLOW_ prefix).
    sf_api_key: SecretStr | None = Field(None, validation_alias="SF_API_KEY")

    @model_validator(mode="after")
    def _resolve_defaults(self) -> Settings:
        if self.control.api_key is None and self.sf_api_key is not None:
            self.control.api_key = self.sf_api_key
        if self.environment == "production" and not self.auth.signing_keys:
            # A generated key would differ per process and vanish with the container.
            raise ValueError("production needs STOCKFLOW_AUTH__SIGNING_KEYS (PEM RSA keys)")
        if not self.storage.url:
            self.storage.url = f"sqlite:///{(self.data_dir / 'stockflow.db').as_posix()}"
        return self


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and .env; keyword overrides win (used by tests and CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
