"""`stockflow job run intel-watchlist-briefs-us` as a real process: the orchestrator's brief job
runs once, is recorded, and with nobody to brief sends nothing."""

from __future__ import annotations

from tests.e2e.test_job_command import run_line, stockflow


def test_brief_job_runs_once_from_the_command_line(tmp_path) -> None:
    env = {"STOCKFLOW_DATA_DIR": str(tmp_path), "STOCKFLOW_LOG__LEVEL": "WARNING"}
    listed = stockflow("job", "list", env=env)
    names = {line.split()[0]: line.split() for line in listed.stdout.splitlines()}
    assert names["intel-watchlist-briefs-us"][1:6] == ["0", "13", "*", "*", "1-5"]
    assert names["intel-watchlist-briefs-in"][1:6] == ["15", "3", "*", "*", "1-5"]
    result = stockflow("job", "run", "intel-watchlist-briefs-us", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    run = run_line(result.stdout)
    assert run["job"] == "intel-watchlist-briefs-us" and run["status"] == "ok"
    assert run["stats"]["sent"] == 0 and run["stats"]["briefs"] == 0
