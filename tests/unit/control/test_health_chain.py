"""The health-check chain against real HTTP stand-ins for Kubesnap and the Event Dispatcher:
a failure makes one snapshot (without secrets) and an alert, retried on the dispatcher's 500s."""

from __future__ import annotations

import json

from stockflow.control.repository import SqlControlStore
from stockflow.control.snapshots import SnapshotService
from stockflow.core.catalogue import HEALTH_ALERT
from stockflow.core.clock import SystemClock
from stockflow.jobs.service import JobService
from stockflow.testing.fakes import EventCapture
from tests.e2e.admin_app import ADMIN, API_KEY, admin_app
from tests.standins import StandIn

HEALTH_ALERT_TOPIC = HEALTH_ALERT.name

SECRETS = {"kubesnap": "ks-secret-123", "dispatcher": "ed-secret-456",
           "provider": "poly-secret-789", "leak": "kube-leak-000", "token": "kube-token-111"}


def chain_settings(kubesnap: StandIn | None, dispatcher: StandIn, **control):
    return {"control": {
        "kubesnap_url": kubesnap.url if kubesnap else None,
        "kubesnap_api_key": SECRETS["kubesnap"], "deploy_type": "signal-engine",
        "event_dispatcher_url": dispatcher.url, "event_dispatcher_api_key": SECRETS["dispatcher"],
        "alert_attempts": 4, "alert_backoff_base_seconds": 0.001,
        "alert_backoff_cap_seconds": 0.01, **control},
        "providers": {"polygon": {"api_key": SECRETS["provider"]}}}


async def broken_search():
    raise RuntimeError("index unreachable")


def kubesnap_answer(_seen, _n):
    return 200, {"deployment": "signal-engine", "pods": [{"name": "se-1", "phase": "Running"}],
                 "env": {"DB_PASSWORD": SECRETS["leak"]}, "token": SECRETS["token"]}


async def test_a_failure_gives_a_snapshot_and_an_alert_retried_on_500s(tmp_path):
    def dispatcher_answer(_seen, n):
        return (500, {"error": "busy"}) if n < 2 else (202, {"accepted": True})

    with StandIn(kubesnap_answer) as kubesnap, StandIn(dispatcher_answer) as dispatcher:
        async with admin_app(tmp_path, clock=SystemClock(),
                             **chain_settings(kubesnap, dispatcher)) as (container, client):
            alerts = EventCapture()
            container.bus.subscribe(HEALTH_ALERT_TOPIC, "test", alerts)
            container.registry.health["search"] = broken_search
            run = await container.port(JobService).run("health-check")
            assert run.status == "failed" and "search" in run.error
            assert run.stats["failed"] == 1 and run.stats["alerts_delivered"] == 1
            snapshot_id = run.stats["snapshot_id"]
            r = await client.get(f"/api/admin/snapshots/{snapshot_id}", headers=ADMIN)
            assert r.status_code == 200
            snapshot = r.json()["data"]
            listed = (await client.get("/api/admin/snapshots", headers=ADMIN)).json()["data"]
            await container.bus.drain()

    [snap_call] = kubesnap.requests
    assert (snap_call.method, snap_call.path) == ("GET", "/api/kubesnap/signal-engine")
    assert snap_call.headers["x-api-key"] == SECRETS["kubesnap"]

    assert len(dispatcher.requests) == 3  # two 500s, then accepted
    for call in dispatcher.requests:
        assert (call.method, call.path) == ("POST", "/api/v1/health-alert")
        assert call.headers["x-api-key"] == SECRETS["dispatcher"]
        assert call.body == dispatcher.requests[0].body  # the same alert each time
    alert = dispatcher.requests[0].body
    assert set(alert) == {"service", "check", "error", "snapshot_id", "time"}
    assert (alert["check"], alert["snapshot_id"]) == ("search", snapshot_id)
    assert "index unreachable" in alert["error"]
    [event] = alerts.of_type(HEALTH_ALERT_TOPIC)
    assert event.data == alert

    assert [s["id"] for s in listed] == [snapshot_id]
    data = snapshot["data"]
    assert data["kubesnap"]["pods"] == [{"name": "se-1", "phase": "Running"}]
    assert {c["name"]: c["state"] for c in data["components"]}["search"] == "down"
    assert data["failures"][0]["check"] == "search"
    assert data["recent_errors"]["health"][0]["check"] == "search"
    assert data["settings"]["control"]["deploy_type"] == "signal-engine"
    text = json.dumps(snapshot)
    for secret in (*SECRETS.values(), API_KEY):
        assert secret not in text, secret
    assert data["kubesnap"]["env"]["DB_PASSWORD"] == "[redacted]"


async def test_an_unreachable_dispatcher_is_tried_every_attempt_and_recorded(tmp_path):
    with StandIn(lambda _s, _n: (500, {"error": "down"})) as dispatcher:
        async with admin_app(tmp_path, clock=SystemClock(),
                             **chain_settings(None, dispatcher)) as (container, _):
            container.registry.health["search"] = broken_search
            run = await container.port(JobService).run("health-check")
            snapshot = await container.port(SqlControlStore).get_snapshot(run.stats["snapshot_id"])
    assert len(dispatcher.requests) == 4
    assert run.status == "failed" and run.stats["alerts_undelivered"] == 1
    assert snapshot["data"]["kubesnap"] is None  # not configured: built-in snapshot only


async def test_all_healthy_means_no_snapshot_and_no_alert(tmp_path):
    with StandIn() as kubesnap, StandIn() as dispatcher:
        async with admin_app(tmp_path, clock=SystemClock(),
                             **chain_settings(kubesnap, dispatcher)) as (container, client):
            run = await container.port(JobService).run("health-check")
            components = len(container.registry.health)
            assert await container.port(SqlControlStore).list_snapshots() == []
            history = (await client.get("/api/admin/jobs/health-check/runs",
                                        headers=ADMIN)).json()["data"]
    assert (run.status, run.stats) == ("ok", {"checked": components, "failed": 0})
    assert kubesnap.requests == [] and dispatcher.requests == []
    assert [h["id"] for h in history] == [run.id]


async def test_services_are_checked_over_http_when_targets_are_set(tmp_path):
    def service(seen, _n):
        if seen.path == "/api/health":
            return 503, {"title": "Service Unavailable", "detail": "down: storage"}
        if seen.path == "/api/admin/health":
            return 404, {"detail": "not a controller"}
        return 200, {"data": {"status": "ok"}}

    with StandIn(service) as engine, StandIn() as dispatcher:
        async with admin_app(tmp_path, clock=SystemClock(), **chain_settings(
                None, dispatcher, health_targets=[engine.url])) as (container, _):
            run = await container.port(JobService).run("health-check")
    assert [r.path for r in engine.requests] == ["/health", "/api/health", "/api/admin/health"]
    assert engine.requests[2].headers["x-api-key"] == API_KEY
    assert "x-api-key" not in engine.requests[0].headers  # the key only goes to admin routes
    assert run.stats["checked"] == 2 and run.stats["failed"] == 1
    alert = dispatcher.requests[0].body
    assert alert["service"] == engine.url.removeprefix("http://")
    assert (alert["check"], alert["error"]) == ("/api/health", "HTTP 503: down: storage")


async def test_inside_kubernetes_the_snapshot_holds_pods_and_warning_events(tmp_path):
    def k8s(seen, _n):
        if seen.path.endswith("/pods"):
            return 200, {"items": [{"metadata": {"name": "se-1"}, "status": {
                "phase": "Running", "containerStatuses": [{"ready": False, "restartCount": 3}]}}]}
        return 200, {"items": [
            {"type": "Normal", "reason": "Pulled", "message": "ok"},
            {"type": "Warning", "reason": "BackOff", "message": "restarting failed container",
             "involvedObject": {"kind": "Pod", "name": "se-1"}}]}

    with StandIn(k8s) as api:
        kube = {"enabled": True, "api_url": api.url, "namespace": "prod",
                "token_path": tmp_path / "none", "ca_path": None}
        async with admin_app(tmp_path, control={"kubernetes": kube}) as (container, _):
            snapshot_id = await container.port(SnapshotService).capture("operator")
            snapshot = await container.port(SqlControlStore).get_snapshot(snapshot_id)
    assert [r.path for r in api.requests] == ["/api/v1/namespaces/prod/pods",
                                              "/api/v1/namespaces/prod/events"]
    cluster = snapshot["data"]["kubernetes"]
    assert cluster["pods"] == [{"name": "se-1", "phase": "Running", "ready": False,
                                "restarts": 3}]
    assert [e["reason"] for e in cluster["events"]] == ["BackOff"]
    assert cluster["events"][0]["object"] == "Pod/se-1"
