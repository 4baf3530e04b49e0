"""Job routes under /api/admin: the job table, the run history, run now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.web import provide
from stockflow.jobs.service import JobService

router = APIRouter()
PROBLEM = {"content": {"application/problem+json": {}}}
Limit = Annotated[int, Query(ge=1, le=500)]
Jobs = Annotated[JobService, Depends(provide(JobService))]


@router.get("/jobs", summary="Every job: schedule, enabled, running, next run, last run")
async def list_jobs(jobs: Jobs) -> Response:
    last = await jobs.store.last_runs()
    return json_response([{**job, "last_run": last[job["name"]].to_dict()
                           if job["name"] in last else None} for job in jobs.describe()])


@router.get("/jobs/runs", summary="Recent runs of every job, newest first")
async def recent_runs(jobs: Jobs, limit: Limit = 50) -> Response:
    runs = await jobs.store.recent_runs(None, limit)
    return json_response([r.to_dict() for r in runs])


@router.get("/jobs/{name}/runs", summary="Recent runs of one job, newest first",
            responses={404: {"description": "Unknown job", **PROBLEM}})
async def job_runs(jobs: Jobs, name: str, limit: Limit = 50) -> Response:
    jobs.spec(name)
    return json_response([r.to_dict() for r in await jobs.store.recent_runs(name, limit)])


@router.post("/jobs/{name}/run", status_code=202, summary="Run a job now, in the background",
             responses={404: {"description": "Unknown job", **PROBLEM},
                        409: {"description": "Already running", **PROBLEM}})
async def run_job(jobs: Jobs, name: str) -> Response:
    run = await jobs.launch(name, "manual")
    return json_response(run.to_dict(), status=202)
