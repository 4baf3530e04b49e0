"""The one app factory every service shares; `services` picks which routers a process serves."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

import stockflow
from stockflow.bootstrap import Container
from stockflow.control.gate import MaintenanceGate
from stockflow.core.envelope import json_response
from stockflow.core.metrics import Metrics
from stockflow.core.problems import unavailable
from stockflow.entrypoints.errors import install_error_handlers
from stockflow.entrypoints.fastpath import FastPath, FastRoute
from stockflow.entrypoints.middleware import EdgeMiddleware
from stockflow.users.edge import AuthEdge


def _market_router() -> APIRouter:
    from stockflow.market.api import router
    from stockflow.market.stream_api import router as stream_router

    combined = APIRouter()
    combined.include_router(router)
    combined.include_router(stream_router)
    return combined


def _market_fast_routes() -> list[FastRoute]:
    from stockflow.market.api import FAST_ROUTES

    return FAST_ROUTES


def _users_router() -> APIRouter:
    from stockflow.users.api import router

    return router()


def _users_admin_router() -> APIRouter:
    from stockflow.users.api import admin_router

    return admin_router()


def _providers_admin() -> APIRouter:
    from stockflow.market.admin_api import router

    return router


def _control_admin_router() -> APIRouter:
    from stockflow.control.api import admin

    return admin


def _jobs_admin_router() -> APIRouter:
    from stockflow.jobs.api import router

    return router


# Context name -> factory of its admin routes. Each router's paths are relative to /api/admin;
# the controller mounts them all behind one X-API-Key check, so no admin route can forget it.
ADMIN_ROUTERS: dict[str, Callable[[], APIRouter]] = {
    "providers": _providers_admin,
    "users": _users_admin_router,
    "control": _control_admin_router,
    "jobs": _jobs_admin_router,
}


def _controller_router() -> APIRouter:
    from stockflow.control.auth import require_admin

    admin = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])
    for factory in ADMIN_ROUTERS.values():
        admin.include_router(factory())
    return admin


# Service name -> router factory. Later contexts (news, users, ...) register here.
SERVICES: dict[str, Callable[[], APIRouter]] = {
    "market-data": _market_router,
    "users": _users_router,
    "controller": _controller_router,
}
# Service name -> the routes its edge answers before FastAPI (entrypoints/fastpath.py).
FAST_ROUTES: dict[str, Callable[[], list[FastRoute]]] = {
    "market-data": _market_fast_routes,
}

ops = APIRouter(tags=["operations"])


def _public_health_router() -> APIRouter:
    # GET /api/health: every service answers it (seed 000's health check calls it on each).
    from stockflow.control.api import public

    return public


@ops.get("/health", summary="Liveness: the process answers")
async def health() -> Response:
    return json_response({"status": "ok", "version": stockflow.__version__})


@ops.get("/ready", summary="Readiness: storage answers and history is loaded",
         responses={503: {"description": "Not ready",
                          "content": {"application/problem+json": {}}}})
async def ready(request: Request) -> Response:
    checks = await request.app.state.container.ready()
    if checks["storage"] != "ok" or checks["history"] != "ready":
        raise unavailable(f"not ready: {checks}", retry_after=5)
    return json_response({"status": "ready", "checks": checks})


@ops.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
async def metrics(request: Request) -> Response:
    m = request.app.state.container.metrics
    return Response(m.render(), media_type=m.content_type)


class EdgeApp(FastAPI):
    """FastAPI behind a pure-ASGI edge: edge middleware, then CORS, then the maintenance gate,
    then auth (tokens, tiers, rate limits), then the fast path, then FastAPI itself. Every
    request, fast or not, gets a request id, metrics and an access line; the fast path skips
    FastAPI's own middleware, routing and dependency injection.

    The stack is built on first use, as Starlette builds its middleware stack, so it sees every
    route included after construction.
    """

    def __init__(self, *, metrics: Metrics, access_log: bool, cors_origins: list[str],
                 fast_routes: list[FastRoute], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.edge_metrics = metrics
        self.access_log = access_log
        self.cors_origins = cors_origins
        self.fast_routes = fast_routes
        self.edge_stack: ASGIApp | None = None

    def build_edge_stack(self) -> ASGIApp:
        container = self.state.container
        app: ASGIApp = super().__call__
        if self.fast_routes:
            app = FastPath(app, self.fast_routes, self.routes, container)
        # Inside CORS, so refusals carry CORS headers and preflights need no token.
        app = AuthEdge(app, tokens=container.tokens, limiter=container.limiter,
                       settings=container.settings.auth)
        # Before auth and the fast path, so maintenance covers every public route without
        # spending a rate-limit token; inside CORS and the edge middleware, so refusals keep
        # CORS headers, request ids, metrics and access lines.
        app = MaintenanceGate(app, container.maintenance.flag,
                              container.settings.control.maintenance_retry_after)
        if self.cors_origins:
            app = CORSMiddleware(app, allow_origins=self.cors_origins, allow_methods=["*"],
                                 allow_headers=["*"])
        return EdgeMiddleware(app, self.edge_metrics, access_log=self.access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.edge_stack is None:
            self.edge_stack = self.build_edge_stack()
        await self.edge_stack(scope, receive, send)


def create_app(container: Container, services: Iterable[str] | None = None, *,
               manage_lifecycle: bool = True) -> EdgeApp:
    """Build the HTTP app. With manage_lifecycle the app starts and stops the container."""
    names = list(services) if services is not None else list(SERVICES)
    unknown = set(names) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown services: {sorted(unknown)}; known: {sorted(SERVICES)}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            await container.start()
            # What is alive now (modules, calendars, the universe, pools) lives as long as the
            # process. Freezing it keeps full collections from re-scanning it: unfrozen, each
            # one took 30-60 ms, the worst of the API's tail latency. Collect first, so that
            # start-up garbage is freed rather than frozen.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if manage_lifecycle:
                await container.stop()

    http = container.settings.http
    fast_routes = [route for name in names if http.fast_path and name in FAST_ROUTES
                   for route in FAST_ROUTES[name]()]
    app = EdgeApp(
        title="StockFlow",
        version=stockflow.__version__,
        description="Market data, research and operations API. Errors are "
                    "application/problem+json (RFC 9457).",
        lifespan=lifespan,
        metrics=container.metrics,
        access_log=http.access_log,
        cors_origins=http.cors_origins,
        fast_routes=fast_routes,
    )
    app.state.container = container
    install_error_handlers(app)
    app.include_router(ops)
    app.include_router(_public_health_router())
    for name in names:
        app.include_router(SERVICES[name]())
    return app
