"""`stockflow job run NAME` / `job list`: what a Kubernetes CronJob calls, as a real process."""

from __future__ import annotations

import os
import subprocess

import orjson

from tests.conftest import free_port
from tests.e2e.test_run_command import STOCKFLOW, _json_or_none
from tests.standins import StandIn


def stockflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(STOCKFLOW), *args], env={**os.environ, **env}, timeout=120,
                          check=False, capture_output=True, text=True)


def run_line(output: str) -> dict:
    return [line for line in map(_json_or_none, output.splitlines())
            if line and "job" in line and "status" in line][-1]


def test_job_list_shows_schedules_with_overrides(tmp_path):
    result = stockflow("job", "list", env={
        "STOCKFLOW_DATA_DIR": str(tmp_path),
        "STOCKFLOW_JOBS__SCHEDULES": '{"health-check": "*/5 * * * *"}',
        "STOCKFLOW_JOBS__DISABLED": '["backfill"]'})
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines()}
    assert lines["health-check"][1:7] == ["*/5", "*", "*", "*", "*", "enabled"]
    assert "disabled" in lines["backfill"]


def test_job_run_records_the_run_and_exits_1_when_the_check_fails(tmp_path):
    env = {"STOCKFLOW_DATA_DIR": str(tmp_path), "STOCKFLOW_LOG__LEVEL": "WARNING"}
    ok = stockflow("job", "run", "health-check", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    first = run_line(ok.stdout)
    assert (first["job"], first["status"], first["trigger"]) == ("health-check", "ok", "cli")

    with StandIn() as dispatcher:
        down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        failed = stockflow("job", "run", "health-check", env={
            **env, "STOCKFLOW_CONTROL__HEALTH_TARGETS": orjson.dumps([down]).decode(),
            "STOCKFLOW_CONTROL__EVENT_DISPATCHER_URL": dispatcher.url,
            "STOCKFLOW_CONTROL__ALERT_BACKOFF_BASE_SECONDS": "0.01"})
    assert failed.returncode == 1, failed.stdout + failed.stderr
    second = run_line(failed.stdout)
    assert second["status"] == "failed" and second["stats"]["alerts_delivered"] == 3
    assert {r.body["check"] for r in dispatcher.requests} == {
        "/health", "/api/health", "/api/admin/health"}

    unknown = stockflow("job", "run", "no-such-job", env=env)
    assert unknown.returncode == 2 and "health-check" in unknown.stderr
