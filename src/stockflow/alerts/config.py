"""Proposed settings of the alerts context (`STOCKFLOW_ALERTS__*`) and of its notification
channels (`STOCKFLOW_NOTIFY__*`); the platform mounts both on its settings tree."""

from __future__ import annotations

from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, Field, SecretStr, field_validator

from stockflow.alerts.delivery import STANDARD_SCHEDULE
from stockflow.alerts.sealing import check_key
from stockflow.alerts.ssrf import DEFAULT_PORTS, is_network


class AlertsSettings(BaseModel):
    enabled: bool = Field(True, description="Run the evaluator and the delivery worker.")
    state_url: str = Field("memory://", description=(
        "Evaluation state: memory:// for one evaluator, redis://host:6379/0 when scaled out "
        "(keys alert:state:{alert_id})."))
    max_rules_by_tier: dict[str, int] = Field(
        default_factory=lambda: {"free": 0, "pro": 100, "enterprise": 10_000},
        description="Most active rules a user of each tier may have; 0 = may not create.")
    default_cooldown_seconds: int = Field(300, ge=0, description=(
        "Cooldown of a rule created without one."))
    webhook_allowed_hosts: list[str] = Field(default_factory=list, description=(
        "Hosts and CIDRs exempt from the SSRF block (self-hosters' own services)."))
    webhook_allowed_ports: list[int] = Field(default_factory=lambda: list(DEFAULT_PORTS))
    webhook_timeout_seconds: float = Field(15.0, gt=0, le=60)
    webhook_max_response_bytes: int = Field(64 * 1024, ge=1024)
    retry_delays_seconds: list[float] = Field(default_factory=lambda: list(STANDARD_SCHEDULE),
                                              description="Wait after each failed attempt.")
    retry_jitter: float = Field(0.1, ge=0, le=0.5)
    retry_sweep_seconds: float = Field(300.0, gt=0, description=(
        "How often the worker looks for due retries (seed: every 5 minutes); first attempts "
        "are sent as they are written."))
    delivery_lease_seconds: float = Field(60.0, gt=0, description=(
        "A claimed delivery is due again after this long if its worker died."))
    delivery_batch: int = Field(100, ge=1, le=10_000)
    fired_rules_cached: int = Field(100_000, ge=0, description=(
        "Rules whose parsed copy the recorder keeps between firings (least recently fired "
        "go first); each firing still checks its rule's status in storage."))
    delivery_poll_seconds: float = Field(1.0, gt=0, le=300, description=(
        "How often the delivery loop looks for due rows it was not woken for (retries, rows "
        "written by another worker, expired leases)."))
    volume_baseline_seconds: float = Field(30.0, gt=0, description=(
        "How soon a new volume_spike rule's average daily volume is read from the daily "
        "bars (each is recomputed once a day)."))
    index_catchup_seconds: float = Field(60.0, gt=0, description=(
        "How often each evaluator re-reads rules changed since its last look, in case a "
        "pub/sub push of a rule change was lost."))
    verify_url: str = Field("http://localhost:8000/verify-channel", description=(
        "Page the e-mail confirmation link opens; it gets ?channel=...&token=... and posts "
        "the token to /v1/alerts/channels/{id}/verify."))
    digest_top_news: int = Field(5, ge=0, le=50, description="Headlines per digest.")
    digest_kinds: list[str] = Field(default_factory=lambda: ["email", "webhook", "push"],
                                    description="Channel kinds digests are sent to.")
    news_retention_days: int = Field(8, ge=1, description=(
        "How long headlines seen are kept for digests (a weekly digest needs 7 days)."))
    sms_daily_cap: int = Field(50, ge=0, description="SMS per user per UTC day.")
    channel_keys: list[SecretStr] = Field(default_factory=list, description=(
        "Fernet keys sealing channel secrets and targets at rest; the first seals, all open "
        "(rotation: new key first, restart, then drop the old one). Unset and no key file: "
        "a key generated into the data folder (development; several hosts must share keys)."))
    channel_keys_file: Path | None = Field(None, description=(
        "A file of Fernet keys, one a line, first seals (e.g. a mounted secret); read after "
        "channel_keys."))
    apprise_schemes: list[str] = Field(default_factory=lambda: [
        "ntfy", "ntfys", "tgram", "slack", "discord", "msteams", "pover", "gotify", "gotifys",
        "matrix", "matrixs", "json", "jsons"])

    @field_validator("channel_keys")
    @classmethod
    def _keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        for key in value:
            check_key(key.get_secret_value())
        return value

    @field_validator("webhook_allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not entry or ("/" in entry and not is_network(entry)):
                raise ValueError(f"not a host name or CIDR: {entry!r}")
        return value


class NotifySettings(BaseModel):
    email_provider: str = Field("smtp", pattern="^[a-z]+$", description=(
        "smtp or sendgrid: a provider registered for notify.email in core/registry.py."))
    sms_provider: str = Field("twilio", pattern="^[a-z]+$")
    email_from: str = Field("alerts@example.com", description=(
        "The From address (set it to one of yours: receivers check it)."))
    smtp_url: SecretStr | None = Field(None, description=(
        "smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (TLS)."))
    sendgrid_api_key: SecretStr | None = None
    sendgrid_base_url: str = "https://api.sendgrid.com"
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr | None = None
    twilio_from: str = Field("", description="E.164 number or a Messaging Service SID (MG...).")
    twilio_base_url: str = "https://api.twilio.com"

    @field_validator("email_from")
    @classmethod
    def _sender(cls, value: str) -> str:
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(f"email_from is not an address mail servers accept: {exc}") from None
