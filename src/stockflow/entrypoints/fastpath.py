"""A pre-router that answers the hottest GET routes before FastAPI's routing and injection.

Each fast route mirrors a FastAPI GET route: the same path template (so the same metrics label,
access line and OpenAPI entry) and the same body function. It answers only what it can serve
successfully; when its answer is None or raises an unexpected error the request goes on to the
FastAPI route, which renders the 422 or the 500 problem (and logs it). A `Problem` the service
raises (unknown ticker, providers down) is rendered here by the same function FastAPI's handler
uses (entrypoints/errors.py): running the route again would ask every provider a second time.

Middleware added with `app.add_middleware` lives inside FastAPI and does not see fast-path
requests: edge concerns (request id, metrics, access log, CORS) belong in the edge stack.
A fast route must not shadow another FastAPI route that would match the same paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import fastapi.routing
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from stockflow.core.envelope import JSON_CONTENT_TYPE
from stockflow.core.fastroute import FastRoute
from stockflow.core.problems import Problem, send_problem

_CONTENT_TYPE = (b"content-type", JSON_CONTENT_TYPE.encode())

class FastPath:
    def __init__(self, app: ASGIApp, routes: Iterable[FastRoute],
                 api_routes: Iterable[BaseRoute], context: Any) -> None:
        self.app = app
        self.context = context
        gets = _get_routes(api_routes)
        self._exact: dict[str, tuple[FastRoute, BaseRoute]] = {}
        self._prefixed: list[tuple[str, FastRoute, BaseRoute]] = []
        for route in routes:
            api_route = gets.get(route.path)
            if api_route is None:
                raise ValueError(f"fast route {route.path} mirrors no FastAPI GET route")
            brace = route.path.find("{")
            if brace < 0:
                self._exact[route.path] = (route, api_route)
            elif route.path.endswith("}") and route.path.count("{") == 1 \
                    and route.path[brace - 1] == "/":
                self._prefixed.append((route.path[:brace], route, api_route))
            else:
                raise ValueError(f"fast route {route.path}: one parameter, as the last segment")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A root_path (behind a prefixing proxy) changes how FastAPI matches; leave it to FastAPI.
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            match = self.match(scope["path"])
            if match is not None and (match[0].admits is None or match[0].admits(scope)):
                route, api_route, param = match
                try:
                    body = await route.answer(self.context, param, scope["query_string"])
                except Problem as problem:
                    scope["route"] = api_route
                    await send_problem(send, problem, scope["path"])
                    return
                except Exception:  # noqa: BLE001 - any failure is FastAPI's to render
                    body = None  # FastAPI runs the route again and renders the error
                if body is not None:
                    scope["route"] = api_route  # what the edge labels metrics and logs with
                    # The same start and body messages a Starlette Response sends.
                    await send({"type": "http.response.start", "status": 200, "headers": [
                        (b"content-length", str(len(body)).encode()), _CONTENT_TYPE]})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)

    def match(self, path: str) -> tuple[FastRoute, BaseRoute, str] | None:
        exact = self._exact.get(path)
        if exact is not None:
            return exact[0], exact[1], ""
        for prefix, route, api_route in self._prefixed:
            # Starlette's "{param}" matches one non-empty segment: [^/]+
            if path.startswith(prefix):
                param = path[len(prefix):]
                if param and "/" not in param:
                    return route, api_route, param
        return None


def flat_routes(routes: Iterable[BaseRoute]) -> list[tuple[str, frozenset[str], BaseRoute]]:
    """Every route as (effective path, methods, the object FastAPI puts in scope["route"]);
    a WebSocket route has no methods.

    Since route contexts (FastAPI 0.16x) an included router stays one entry in `app.routes`;
    its routes are listed by `iter_route_contexts`. Before, `app.routes` held them directly.
    """
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:
        return [(r.path, frozenset(getattr(r, "methods", None) or ()), r) for r in routes
                if hasattr(r, "path")]
    return [(c.path, frozenset(c.methods or ()), c.original_route)
            for c in contexts(list(routes))]


def _get_routes(routes: Iterable[BaseRoute]) -> dict[str, BaseRoute]:
    """GET routes by effective path."""
    return {path: route for path, methods, route in flat_routes(routes)
            if isinstance(route, APIRoute) and "GET" in methods}
