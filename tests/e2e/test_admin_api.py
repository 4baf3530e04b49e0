"""The controller's health, jobs and snapshots routes, through the real app."""

from __future__ import annotations

import asyncio

from stockflow.jobs.domain import JobSpec
from stockflow.jobs.service import JobService
from tests.e2e.admin_app import ADMIN, admin_app


async def broken():
    raise ConnectionError("connection refused")


async def test_health_full_for_admins_summary_for_the_public(tmp_path):
    async with admin_app(tmp_path) as (container, client):
        admin = (await client.get("/api/admin/health", headers=ADMIN)).json()["data"]
        assert admin["status"] == "ok"
        names = [c["name"] for c in admin["components"]]
        assert names[:5] == ["storage", "bus", "cache", "pubsub", "workers"]
        assert {"providers", "scheduler"} <= set(names)  # and each context's own
        assert all(c["latency_ms"] >= 0 and c["state"] in ("ok", "disabled")
                   for c in admin["components"])
        public = (await client.get("/api/health")).json()["data"]
        assert public["components"] == {c["name"]: c["state"] for c in admin["components"]}
        assert "instance" not in public

        container.registry.health["cache"] = broken
        r = await client.get("/api/admin/health", headers=ADMIN)
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["detail"] == "down: cache"
        cache = next(c for c in body["components"] if c["name"] == "cache")
        assert cache["detail"] == "ConnectionError: connection refused"
        r = await client.get("/api/health")
        assert r.status_code == 503 and r.json()["components"]["cache"] == "down"
        assert "connection refused" not in r.text  # no details for anonymous callers
        assert (await client.get("/health")).status_code == 200  # liveness is not health


async def test_jobs_list_run_now_conflict_and_history(tmp_path):
    gate = asyncio.Event()

    def build():
        async def body():
            await gate.wait()
            return {"done": 1}
        return body

    async with admin_app(tmp_path) as (container, client):
        container.port(JobService).specs["slow"] = JobSpec("slow", "0 3 * * *", "waits", build())
        container.port(JobService).crons["slow"] = "0 3 * * *"
        jobs = (await client.get("/api/admin/jobs", headers=ADMIN)).json()["data"]
        by_name = {j["name"]: j for j in jobs}
        assert by_name["health-check"]["cron"] == "0 * * * *"
        assert by_name["health-check"]["next_run"] == "2025-11-21T16:00:00+00:00"
        assert by_name["backfill"]["cron"] == "0 2 * * 0" and by_name["slow"]["last_run"] is None

        r = await client.post("/api/admin/jobs/slow/run", headers=ADMIN)
        assert r.status_code == 202 and r.json()["data"]["status"] == "running"
        run_id = r.json()["data"]["id"]
        again = await client.post("/api/admin/jobs/slow/run", headers=ADMIN)
        assert again.status_code == 409 and again.json()["title"] == "Conflict"
        gate.set()
        await asyncio.gather(*container.port(JobService).active.values())

        history = (await client.get("/api/admin/jobs/slow/runs", headers=ADMIN)).json()["data"]
        assert [(h["id"], h["status"], h["stats"]) for h in history] == [
            (run_id, "ok", {"done": 1})]
        listed = {j["name"]: j for j in (await client.get("/api/admin/jobs",
                                                          headers=ADMIN)).json()["data"]}
        assert listed["slow"]["last_run"]["id"] == run_id
        recent = (await client.get("/api/admin/jobs/runs", headers=ADMIN)).json()["data"]
        assert recent[0]["id"] == run_id
        for bad in ("/api/admin/jobs/nope/runs", "/api/admin/jobs/nope/run"):
            method = "POST" if bad.endswith("/run") else "GET"
            assert (await client.request(method, bad, headers=ADMIN)).status_code == 404


async def test_snapshots_are_listed_newest_first_with_a_cursor(tmp_path):
    async with admin_app(tmp_path) as (container, client):
        ids = []
        for i in range(3):
            r = await client.post(f"/api/admin/snapshots?reason=r{i}", headers=ADMIN)
            assert r.status_code == 201
            ids.append(r.json()["data"]["id"])
            container.clock.advance(1)
        page = (await client.get("/api/admin/snapshots?limit=2", headers=ADMIN)).json()
        assert [s["id"] for s in page["data"]] == [ids[2], ids[1]]
        assert page["meta"]["has_more"] is True
        cursor = page["meta"]["next_cursor"]
        rest = (await client.get(f"/api/admin/snapshots?limit=2&cursor={cursor}",
                                 headers=ADMIN)).json()
        assert [s["id"] for s in rest["data"]] == [ids[0]] and rest["meta"]["has_more"] is False
        one = (await client.get(f"/api/admin/snapshots/{ids[0]}", headers=ADMIN)).json()["data"]
        assert one["reason"] == "r0" and one["data"]["components"]
        assert (await client.get("/api/admin/snapshots/nope", headers=ADMIN)).status_code == 404
        bad = await client.get("/api/admin/snapshots?cursor=zzz", headers=ADMIN)
        assert bad.status_code == 422
