"""Maintenance mode end to end: public routes refused, operations open, WebSockets closed with
the reason, the state kept in storage, and Kubernetes told through its REST API."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from stockflow.bootstrap import bootstrap
from stockflow.control.maintenance import MaintenanceService
from stockflow.core.catalogue import MAINTENANCE_CHANGED
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture
from tests.conftest import make_settings, serving
from tests.e2e.admin_app import ADMIN, API_KEY, admin_app
from tests.e2e.test_stream_quotes import recv_until
from tests.standins import StandIn

MAINTENANCE_TOPIC = MAINTENANCE_CHANGED.name

PUBLIC = ["/v1/quotes/NVDA", "/v1/quotes?tickers=AAPL,MSFT", "/v1/market-status",
          "/v1/companies", "/v1/historical/MSFT?interval=1d", "/v1/no-such-route"]
OPEN = ["/health", "/ready", "/metrics", "/api/health", "/docs", "/openapi.json"]


async def test_on_refuses_public_routes_and_keeps_operations_open_then_off(tmp_path):
    async with admin_app(tmp_path) as (container, client):
        seen = EventCapture()
        container.bus.subscribe(MAINTENANCE_TOPIC, "test", seen)
        for path in PUBLIC[:-1]:
            assert (await client.get(path)).status_code == 200, path
        r = await client.get("/api/admin/maintenance/on?reason=upgrade", headers=ADMIN)
        assert r.status_code == 200 and r.json()["data"]["enabled"] is True
        for path in PUBLIC:
            r = await client.get(path)
            assert r.status_code == 503, path
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["retry-after"] == "60"
            assert r.headers["x-request-id"]  # the edge middleware still saw it
            assert r.json()["detail"] == "Maintenance mode enabled"
            assert r.json()["instance"] == path.split("?")[0]
        for path in OPEN:
            assert (await client.get(path)).status_code == 200, path
        health = (await client.get("/api/admin/health", headers=ADMIN)).json()["data"]
        assert health["maintenance"]["enabled"] and health["maintenance"]["reason"] == "upgrade"
        assert (await client.get("/api/health")).json()["data"]["maintenance"] is True
        r = await client.post("/api/admin/maintenance/off", headers=ADMIN)  # POST works too
        assert r.status_code == 200 and r.json()["data"]["enabled"] is False
        for path in PUBLIC[:-1]:
            assert (await client.get(path)).status_code == 200, path
        status = (await client.get("/api/admin/maintenance", headers=ADMIN)).json()["data"]
        assert status["enabled"] is False and status["changed_by"] == "admin-api"
        await container.bus.drain()
        assert [e.data["enabled"] for e in seen.of_type(MAINTENANCE_TOPIC)] == [True, False]


async def test_the_state_survives_a_restart(tmp_path):
    async with admin_app(tmp_path) as (_, client):
        await client.post("/api/admin/maintenance/on", headers=ADMIN)
    async with admin_app(tmp_path) as (container, client):
        assert container.port(MaintenanceService).flag.enabled
        assert (await client.get("/v1/quotes/NVDA")).status_code == 503


@pytest.fixture
async def served(tmp_path):
    container = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False},
                                        control={"api_key": API_KEY},
                                        http={"access_log": False}))
    async with serving(container) as url:
        yield container, url


async def test_websockets_are_closed_with_the_reason_and_refused_while_on(served):
    container, url = served
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"action": "subscribe", "tickers": ["NVDA"]}))
        await recv_until(ws, "snapshot")
        await container.port(MaintenanceService).set(True, by="test")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(recv_until(ws, "never"), 10)
        assert closed.value.rcvd.code == 1013
        assert closed.value.rcvd.reason == "Maintenance mode enabled"
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
            1013, "Maintenance mode enabled")
    await container.port(MaintenanceService).set(False, by="test")
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"action": "subscribe", "tickers": ["NVDA"]}))
        assert (await recv_until(ws, "snapshot"))["data"][0]["ticker"] == "NVDA"
    # Closed sockets are forgotten once the server sees them close.
    await eventually(lambda: not container.port(MaintenanceService).flag.sockets,
                     message="closed sockets forgotten")


async def test_kubernetes_configmap_patched_and_deployment_restarted(tmp_path):
    token = tmp_path / "token"
    token.write_text("sa-token\n")
    with StandIn() as k8s:
        kube = {"enabled": True, "api_url": k8s.url, "namespace": "prod", "token_path": token,
                "ca_path": None, "restart_deployments": ["signal-engine", "market-intel"]}
        async with admin_app(tmp_path, control={"kubernetes": kube}) as (_, client):
            r = await client.get("/api/admin/maintenance/on", headers=ADMIN)
            assert r.json()["data"]["kubernetes"] == {
                "ok": True, "configmap": "maintenance-config",
                "restarted": ["signal-engine", "market-intel"]}
    configmap, *deployments = k8s.requests
    assert (configmap.method, configmap.path) == (
        "PATCH", "/api/v1/namespaces/prod/configmaps/maintenance-config")
    assert configmap.headers["content-type"] == "application/merge-patch+json"
    assert configmap.headers["authorization"] == "Bearer sa-token"
    assert configmap.body["data"]["maintenance"] == "true"
    assert [d.path for d in deployments] == [
        "/apis/apps/v1/namespaces/prod/deployments/signal-engine",
        "/apis/apps/v1/namespaces/prod/deployments/market-intel"]
    for d in deployments:
        assert d.method == "PATCH" and d.headers["authorization"] == "Bearer sa-token"
        annotations = d.body["spec"]["template"]["metadata"]["annotations"]
        assert annotations["kubectl.kubernetes.io/restartedAt"]


async def test_a_kubernetes_failure_is_reported_and_the_switch_still_holds(tmp_path):
    with StandIn(lambda _seen, _n: (403, {"message": "forbidden"})) as k8s:
        kube = {"enabled": True, "api_url": k8s.url, "token_path": tmp_path / "none",
                "ca_path": None}
        async with admin_app(tmp_path, control={"kubernetes": kube}) as (container, client):
            data = (await client.get("/api/admin/maintenance/on", headers=ADMIN)).json()["data"]
            assert data["enabled"] is True and data["kubernetes"]["ok"] is False
            assert "403" in data["kubernetes"]["error"]
            assert container.port(MaintenanceService).flag.enabled
    assert "authorization" not in k8s.requests[0].headers  # no token file, no header
