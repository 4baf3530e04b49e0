"""`stockflow search reindex` as a real process: it indexes the universe, runs the search-cleanup
job, and refuses an unknown type."""

from __future__ import annotations

from stockflow.adapters.providers.simulated import default_universe
from tests.e2e.test_job_command import run_line, stockflow


def test_reindex_writes_the_universe_and_the_cleanup_job_runs(tmp_path):
    env = {"STOCKFLOW_DATA_DIR": str(tmp_path), "STOCKFLOW_LOG__LEVEL": "WARNING"}
    n = len(default_universe())
    done = stockflow("search", "reindex", "--type", "company", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"company {n} documents indexed"
    again = stockflow("search", "reindex", env=env)  # every type; news and financials are empty
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.strip().splitlines()[-1] == (
        f"company {n}, news 0, financials 0 documents indexed")
    cleanup = stockflow("job", "run", "search-cleanup", env=env)
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    run = run_line(cleanup.stdout)
    assert (run["status"], run["stats"]["news_removed"]) == ("ok", 0)


def test_reindex_refuses_an_unknown_type(tmp_path):
    result = stockflow("search", "reindex", "--type", "people",
                       env={"STOCKFLOW_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "unknown type 'people'" in result.stderr
