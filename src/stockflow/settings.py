"""One typed settings tree for every process shape (env prefix STOCKFLOW_, nesting with "__").

The platform's own sections live here; each context declares its sections in its module, and
`settings_model(modules)` composes the tree from them, so adding a context adds its settings
without editing this file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, create_model, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from stockflow.core.idempotency import IdempotencySettings
from stockflow.core.module import ContextModule


class HttpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=list)
    access_log: bool = True
    # The edge answers the quote routes before FastAPI (same bodies and errors); off for debugging.
    fast_path: bool = True
    # The fast routes' requests through the edge (request id, limits, maintenance, auth, rate
    # limit, metrics, access line) in one call instead of its layers (entrypoints/fused.py);
    # the same answers either way. Off for debugging or to compare.
    fused_edge: bool = True
    # Proxies whose X-Forwarded-For/-Proto are believed (addresses or CIDRs; "*" for any).
    # None by default: behind no proxy, a forwarded header is whatever the client wrote.
    # Env: a JSON list or a comma-separated string.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Request limits, answered 431, 414 and 413 problems (entrypoints/limits.py).
    max_header_bytes: int = Field(16_384, ge=1024, description="all header names and values")
    max_headers: int = Field(100, ge=8)
    max_url_bytes: int = Field(8_192, ge=256, description="path and query string")
    max_body_bytes: int = Field(1_048_576, ge=0, description="the default for every route")
    # Per path prefix, the longest prefix wins: sign-in bodies are a few hundred bytes.
    body_limits: dict[str, int] = Field(default_factory=lambda: {
        "/v1/auth": 16_384, "/api/admin": 65_536})

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


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


class ServicesSettings(BaseModel):
    """What a process runs; `stockflow up` runs everything, `worker NAME` one worker."""

    market_data: bool = True
    live_quotes: bool = Field(True, description="run the ingestion loop and market-status watcher")
    # None: every worker the contexts declare.
    workers: list[str] | None = None


class LogSettings(BaseModel):
    level: str = "INFO"
    # STOCKFLOW_LOG__JSON: true or false forces the format; unset, JSON unless on a terminal.
    json_logs: bool | None = Field(None, alias="json")

    model_config = {"populate_by_name": True}


class PlatformSettings(BaseSettings):
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
    idempotency: IdempotencySettings = Field(default_factory=IdempotencySettings)
    services: ServicesSettings = Field(default_factory=ServicesSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    # The seeds' own names, read as they are (no STOCKFLOW_ prefix).
    sf_api_key: SecretStr | None = Field(None, validation_alias="SF_API_KEY")

    @model_validator(mode="after")
    def _resolve_defaults(self) -> PlatformSettings:
        if not self.storage.url:
            self.storage.url = f"sqlite:///{(self.data_dir / 'stockflow.db').as_posix()}"
        for module in _MODULES.get(type(self), ()):
            if module.resolve is not None:
                module.resolve(self)
        return self


_MODULES: dict[type, tuple[ContextModule, ...]] = {}


def _field(section: Any) -> tuple[Any, Any]:
    if isinstance(section, tuple):
        annotation, factory = section
        return annotation, Field(default_factory=factory)
    return section, Field(default_factory=section)


def settings_model(modules: Sequence[ContextModule]) -> type[PlatformSettings]:
    """The settings tree of these contexts: the platform's sections plus each context's."""
    return _settings_model(tuple(modules))


@cache
def _settings_model(modules: tuple[ContextModule, ...]) -> type[PlatformSettings]:
    fields: dict[str, Any] = {}
    for m in modules:
        for name, section in m.settings.items():
            if name in fields or name in PlatformSettings.model_fields:
                raise ValueError(f"settings section {name!r} of {m.name} is declared twice")
            fields[name] = _field(section)
    model = create_model("Settings", __base__=PlatformSettings, **fields)
    _MODULES[model] = modules
    return model


def Settings(**values: Any) -> Any:
    """The settings of the default contexts (stockflow.contexts), from the environment and
    .env; keyword values win."""
    from stockflow.contexts import modules

    return settings_model(modules())(**values)


def load_settings(modules: Sequence[ContextModule] | None = None, **overrides: object) -> Any:
    """Read settings from the environment and .env; keyword overrides win (tests and CLI)."""
    if modules is None:
        return Settings(**overrides)
    return settings_model(modules)(**overrides)
