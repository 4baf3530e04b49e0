"""Prometheus metrics of the scheduler: runs by outcome, last duration, last success."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from stockflow.jobs.domain import OK, JobRun


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter("stockflow_job_runs", "Job runs by outcome", ["job", "status"],
                            registry=registry)
        self.duration = Gauge("stockflow_job_last_duration_seconds",
                              "Duration of the last finished run", ["job"], registry=registry)
        # Alert on "time() - this > N" to catch a job that stopped succeeding or running at all.
        self.last_success = Gauge("stockflow_job_last_success_timestamp_seconds",
                                  "When the last successful run finished (Unix time)", ["job"],
                                  registry=registry)

    def finished(self, run: JobRun) -> None:
        self.runs.labels(run.job, run.status).inc()
        if run.finished_at is not None:
            self.duration.labels(run.job).set(
                (run.finished_at - run.started_at).total_seconds())
            if run.status == OK:
                self.last_success.labels(run.job).set(run.finished_at.timestamp())
