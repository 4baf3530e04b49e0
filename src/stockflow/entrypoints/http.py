"""The one app factory every service shares; `services` picks which routers a process serves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.responses import Response

import stockflow
from stockflow.bootstrap import Container
from stockflow.core.envelope import json_response
from stockflow.core.problems import unavailable
from stockflow.entrypoints.errors import install_error_handlers
from stockflow.entrypoints.middleware import EdgeMiddleware


def _market_router() -> APIRouter:
    from stockflow.market.api import router

    return router


# Service name -> router factory. Later contexts (news, users, ...) register here.
SERVICES: dict[str, Callable[[], APIRouter]] = {
    "market-data": _market_router,
}

ops = APIRouter(tags=["operations"])


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


def create_app(container: Container, services: Iterable[str] | None = None, *,
               manage_lifecycle: bool = True) -> FastAPI:
    """Build the HTTP app. With manage_lifecycle the app starts and stops the container."""
    names = list(services) if services is not None else list(SERVICES)
    unknown = set(names) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown services: {sorted(unknown)}; known: {sorted(SERVICES)}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            await container.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await container.stop()

    app = FastAPI(
        title="StockFlow",
        version=stockflow.__version__,
        description="Market data, research and operations API. Errors are "
                    "application/problem+json (RFC 9457).",
        lifespan=lifespan,
    )
    app.state.container = container
    install_error_handlers(app)
    app.include_router(ops)
    for name in names:
        app.include_router(SERVICES[name]())
    if container.settings.http.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=container.settings.http.cors_origins,
                           allow_methods=["*"], allow_headers=["*"])
    app.add_middleware(EdgeMiddleware, metrics=container.metrics,
                       access_log=container.settings.http.access_log)
    return app
