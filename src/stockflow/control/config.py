"""The controller's settings section (seed 000)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


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
    # Without one, development generates a key into `<data_dir>/<api_key_file>` at first start;
    # production refuses to start.
    api_key: SecretStr | None = None
    api_key_file: Path = Field(Path("keys") / "operator-api-key",
                               description="where development keeps its generated key, "
                               "relative to the data folder")
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
