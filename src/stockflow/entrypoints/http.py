"""The one app factory every service shares. Routers, admin routers, fast routes and edge layers
all come from the contexts the container built for this process's plan; this file names none."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

import stockflow
from stockflow.core.container import Container
from stockflow.core.envelope import json_response
from stockflow.core.fastroute import FastRoute
from stockflow.core.metrics import Metrics
from stockflow.core.module import ADMIN_SERVICE, READY_STATES, EdgeLayer
from stockflow.core.operator import HEADER, OperatorKey
from stockflow.core.problems import unavailable
from stockflow.entrypoints.docs import install_docs
from stockflow.entrypoints.errors import install_error_handlers
from stockflow.entrypoints.fastpath import FastPath
from stockflow.entrypoints.fused import FusedEdge
from stockflow.entrypoints.limits import RequestLimits
from stockflow.entrypoints.middleware import EdgeMiddleware

ops = APIRouter(tags=["operations"])


@ops.get("/health", summary="Liveness: the process answers")
async def health() -> Response:
    return json_response({"status": "ok", "version": stockflow.__version__})


@ops.get("/ready", summary="Readiness: storage answers and history is loaded",
         responses={503: {"description": "Not ready",
                          "content": {"application/problem+json": {}}}})
async def ready(request: Request) -> Response:
    checks = await request.app.state.container.ready()
    if any(v not in READY_STATES for v in checks.values()):
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
    FastAPI's own middleware, routing and dependency injection, and the fused edge in front
    (entrypoints/fused.py) takes the fast routes' requests through all of it in one call.

    The stack is built on first use, as Starlette builds its middleware stack, so it sees every
    route included after construction.
    """

    def __init__(self, *, metrics: Metrics, access_log: bool, cors_origins: list[str],
                 fast_routes: list[FastRoute], edge: list[EdgeLayer], limits: Any,
                 fused: bool = True, **kwargs: Any) -> None:
        # Starlette's trailing-slash redirect writes the Host header into Location; the 404
        # handler redirects with a relative Location instead (entrypoints/errors.py).
        super().__init__(redirect_slashes=False, **kwargs)
        self.limits = limits
        self.edge_layers = sorted(edge, key=lambda layer: layer.order)
        self.edge_metrics = metrics
        self.access_log = access_log
        self.cors_origins = cors_origins
        self.fast_routes = fast_routes
        # The fast routes' requests through the edge in one call (entrypoints/fused.py); off,
        # they take the same layers as every other request, as the fused path is tested against.
        self.fused = fused
        self.edge_stack: ASGIApp | None = None

    def build_edge_stack(self) -> ASGIApp:
        ports = self.state.ports
        app: ASGIApp = super().__call__
        fast = app = FastPath(app, self.fast_routes, self.routes, ports) \
            if self.fast_routes else None
        # The contexts' layers (auth, maintenance), inside CORS and the edge middleware, so
        # their refusals keep CORS headers, request ids, metrics and access lines, and
        # preflights need no token.
        admits = []
        for layer in self.edge_layers:
            app = layer.wrap(app, ports)
            admits.insert(0, getattr(app, "admit", None))  # outermost layer decides first
        if self.cors_origins:
            app = CORSMiddleware(app, allow_origins=self.cors_origins, allow_methods=["*"],
                                 allow_headers=["*"])
        edge = EdgeMiddleware(app, self.edge_metrics, access_log=self.access_log,
                              limits=RequestLimits(self.limits))
        if fast is None or not self.fused or None in admits:
            return edge  # a layer that cannot decide alone keeps its ASGI hop
        return FusedEdge(edge, fast, admits, cors=bool(self.cors_origins))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.edge_stack is None:
            self.edge_stack = self.build_edge_stack()
        await self.edge_stack(scope, receive, send)


def create_app(container: Container, services: Iterable[str] | None = None, *,
               manage_lifecycle: bool = True) -> EdgeApp:
    """Build the HTTP app for the services the container was built for (or a subset of them).
    With manage_lifecycle the app starts and stops the container."""
    planned = container.plan.services
    names = set(planned if services is None else services)
    if names - planned:
        raise ValueError(f"services {sorted(names - planned)} were not built; "
                         f"built: {sorted(planned)}")

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
    contexts = container.contexts
    app = EdgeApp(
        title="StockFlow",
        version=stockflow.__version__,
        description="Market data, research and operations API. Errors are "
                    "application/problem+json (RFC 9457).",
        lifespan=lifespan,
        # /docs is served from the package (entrypoints/docs.py); ReDoc would need a CDN.
        docs_url=None, redoc_url=None,
        metrics=container.metrics,
        access_log=http.access_log,
        cors_origins=http.cors_origins,
        fast_routes=[r for parts in contexts for r in parts.fast_routes],
        edge=[layer for parts in contexts for layer in parts.edge],
        limits=http,
        fused=http.fused_edge,
    )
    app.state.container = container
    app.state.ports = container.platform.ports
    install_error_handlers(app)
    install_docs(app)
    app.include_router(ops)
    # Routers of fixed paths only come first, so a fixed path wins over another context's path
    # parameter whichever was built first: the search context's /v1/news/search is not the
    # news context's /v1/news/{article_id}. The sort is stable: the order is otherwise kept.
    for router in sorted((r for parts in contexts for r in parts.routers), key=_has_parameters):
        app.include_router(router)
    if ADMIN_SERVICE in names:
        # Every context's admin routes, behind one X-API-Key check: none can forget it.
        admin = APIRouter(prefix="/api/admin", tags=["admin"],
                          dependencies=[Depends(require_operator)])
        for parts in contexts:
            for router in parts.admin_routers:
                admin.include_router(router)
        app.include_router(admin)
    return app


def _has_parameters(router: APIRouter) -> bool:
    return any("{" in getattr(route, "path", "") for route in router.routes)


async def require_operator(request: Request) -> None:
    key: OperatorKey = request.app.state.ports.get(OperatorKey)
    key.check(request.headers.get(HEADER), request.query_params.keys())
