"""The Kubernetes REST API, with the pod's service account: maintenance and diagnostics.

Plain HTTP against the documented paths (no client library): a merge-patch of the
`maintenance-config` ConfigMap, and `kubectl rollout restart` done the way kubectl does it,
by stamping `kubectl.kubernetes.io/restartedAt` on the deployment's pod template.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from stockflow.adapters.ops.http import request_json

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"


class KubernetesClient:
    def __init__(self, *, api_url: str, namespace: str, configmap: str,
                 restart_deployments: list[str], token_path: Path | None,
                 ca_path: Path | None, timeout: float = 10.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.api_url = api_url.rstrip("/")
        self.namespace = namespace
        self.configmap = configmap
        self.restart_deployments = restart_deployments
        self.token_path = token_path
        self.ca_path = ca_path
        self.timeout = timeout
        self.now = now

    def _headers(self, content_type: str | None = None) -> dict[str, str]:
        # Read on every call: Kubernetes rotates projected service-account tokens.
        headers = {"Accept": "application/json"}
        if self.token_path is not None and self.token_path.exists():
            headers["Authorization"] = f"Bearer {self.token_path.read_text().strip()}"
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _verify(self) -> Any:
        if self.ca_path is not None and self.ca_path.exists():
            return str(self.ca_path)
        return True

    async def _call(self, method: str, path: str, body: Any = None,
                    content_type: str | None = None) -> Any:
        content = orjson.dumps(body) if body is not None else None
        return await request_json(method, f"{self.api_url}{path}", timeout=self.timeout,
                                  headers=self._headers(content_type), content=content,
                                  verify=self._verify())

    async def set_maintenance(self, enabled: bool) -> dict[str, Any]:
        ns = self.namespace
        stamp = self.now().isoformat()
        await self._call("PATCH", f"/api/v1/namespaces/{ns}/configmaps/{self.configmap}",
                         {"data": {"maintenance": "true" if enabled else "false",
                                   "changed_at": stamp}}, MERGE_PATCH)
        restarted = []
        for name in self.restart_deployments:
            patch = {"spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": stamp}}}}}
            await self._call("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/{name}",
                             patch, STRATEGIC_PATCH)
            restarted.append(name)
        return {"configmap": self.configmap, "restarted": restarted}

    async def diagnostics(self) -> dict[str, Any]:
        ns = self.namespace
        pods = await self._call("GET", f"/api/v1/namespaces/{ns}/pods")
        events = await self._call("GET", f"/api/v1/namespaces/{ns}/events")
        return {"pods": [_pod(p) for p in (pods or {}).get("items", [])],
                "events": [_event(e) for e in (events or {}).get("items", [])
                           if e.get("type") != "Normal"][-50:]}


def _pod(p: dict[str, Any]) -> dict[str, Any]:
    status = p.get("status", {})
    containers = status.get("containerStatuses", []) or []
    return {"name": p.get("metadata", {}).get("name"), "phase": status.get("phase"),
            "ready": all(c.get("ready") for c in containers) if containers else False,
            "restarts": sum(c.get("restartCount", 0) for c in containers)}


def _event(e: dict[str, Any]) -> dict[str, Any]:
    obj = e.get("involvedObject", {})
    return {"type": e.get("type"), "reason": e.get("reason"), "message": e.get("message"),
            "object": f"{obj.get('kind')}/{obj.get('name')}",
            "time": e.get("lastTimestamp") or e.get("eventTime")}
