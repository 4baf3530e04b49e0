"""Controller routes (seed 000): health, maintenance and snapshots under /api/admin, and the
public health summary /api/health. Routes only: the services do the work."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

import stockflow
from stockflow.control.domain import DOWN, ComponentHealth, Controller, overall
from stockflow.core.envelope import json_response
from stockflow.core.pagination import decode_cursor, encode_cursor
from stockflow.core.problems import TYPE_BASE, Problem, invalid, not_found
from stockflow.core.times import clamp_utc
from stockflow.core.web import provide

admin = APIRouter()
public = APIRouter(tags=["operations"])
PROBLEM = {"content": {"application/problem+json": {}}}
DOWN_503 = {503: {"description": "A component is down", **PROBLEM}}
PUBLIC_HEALTH_MAX_AGE = 2.0  # seconds an anonymous caller may see the same result


C = Annotated[Controller, Depends(provide(Controller))]


def _down(components: list[ComponentHealth], body: dict[str, Any]) -> Problem:
    names = ", ".join(c.name for c in components if c.state == DOWN)
    # The problem's own "status" is the HTTP status (503 says "down"); the rest goes along.
    extra = {k: v for k, v in body.items() if k != "status"}
    return Problem(503, "Service Unavailable", f"down: {names}", type_=TYPE_BASE + "unavailable",
                   **extra)


@public.get("/api/health", summary="Public health summary: overall status and each component's "
            "state", responses=DOWN_503)
async def public_health(c: C) -> Response:
    components = await c.health.check(max_age=PUBLIC_HEALTH_MAX_AGE)
    body = {"status": overall(components), "version": stockflow.__version__,
            "maintenance": c.maintenance.flag.enabled,
            "components": {x.name: x.state for x in components}}
    if body["status"] == DOWN:
        raise _down(components, body)
    return json_response(body)


@admin.get("/health", summary="Every component with its state, latency and detail",
           responses=DOWN_503)
async def admin_health(c: C) -> Response:
    components = await c.health.check()
    body = {"status": overall(components), "version": stockflow.__version__,
            "instance": c.instance, "maintenance": c.maintenance.status(),
            "components": [x.to_dict() for x in components]}
    if body["status"] == DOWN:
        raise _down(components, body)
    return json_response(body)


@admin.get("/maintenance", summary="Maintenance status")
async def maintenance_status(c: C) -> Response:
    return json_response(c.maintenance.status())


async def _switch(c: C, enabled: bool, reason: str) -> Response:
    result = await c.maintenance.set(enabled, by="admin-api", reason=reason)
    return json_response(result)


Reason = Annotated[str, Query(max_length=500, description="why, kept with the state")]


# GET as well as POST: seed 001's runbook enables maintenance with a GET.
@admin.get("/maintenance/on", summary="Enable maintenance mode", operation_id="maintenance_on_get")
@admin.post("/maintenance/on", summary="Enable maintenance mode", operation_id="maintenance_on")
async def maintenance_on(c: C, reason: Reason = "") -> Response:
    return await _switch(c, True, reason)


@admin.get("/maintenance/off", summary="Disable maintenance mode",
           operation_id="maintenance_off_get")
@admin.post("/maintenance/off", summary="Disable maintenance mode", operation_id="maintenance_off")
async def maintenance_off(c: C, reason: Reason = "") -> Response:
    return await _switch(c, False, reason)


Limit = Annotated[int, Query(ge=1, le=200)]


@admin.get("/snapshots", summary="Diagnostic snapshots, newest first")
async def list_snapshots(c: C, limit: Limit = 50,
                         cursor: str | None = None) -> Response:
    before = _cursor_time(cursor)
    rows = await c.store.list_snapshots(limit + 1, before)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor({"before": rows[-1]["time"]}) if more else None
    return json_response(rows, next_cursor=next_cursor, has_more=more)


@admin.post("/snapshots", status_code=201, summary="Capture a diagnostic snapshot now")
async def capture_snapshot(c: C, reason: Reason = "requested by an operator",
                           ) -> Response:
    snapshot_id = await c.snapshots.capture(reason)
    return json_response({"id": snapshot_id}, status=201)


@admin.get("/snapshots/{snapshot_id}", summary="One diagnostic snapshot",
           responses={404: {"description": "Unknown snapshot", **PROBLEM}})
async def read_snapshot(c: C, snapshot_id: str) -> Response:
    snapshot = await c.store.get_snapshot(snapshot_id)
    if snapshot is None:
        raise not_found("snapshot", snapshot_id)
    return json_response(snapshot)


def _cursor_time(cursor: str | None) -> datetime | None:
    if cursor is None:
        return None
    try:
        # Clamped like every caller instant: a forged year-1 offset must not reach the driver.
        return clamp_utc(datetime.fromisoformat(decode_cursor(cursor)["before"]))
    except (KeyError, TypeError, ValueError):
        raise invalid("cursor is not one this API issued") from None
