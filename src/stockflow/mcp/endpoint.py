"""The streamable HTTP transport under the API (`/v1/mcp`): the SDK's session manager, run in
a task of its own for the process's life, answering each POST statelessly. Tools call this same
app in-process (httpx's ASGI transport) with the caller's own Authorization header, so every
call passes the edge again: the caller's tier, rate limit and problems apply to each tool."""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import httpx
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Message, Receive, Scope, Send

from stockflow.core.problems import Problem, send_problem, unavailable
from stockflow.mcp.config import McpSettings
from stockflow.mcp.domain import ToolSpec
from stockflow.mcp.server import build_server, sender
from stockflow.mcp.service import Send as CallRoute
from stockflow.mcp.service import ToolBox

# The host name of in-process calls; they never leave the process.
IN_PROCESS = "http://stockflow.in-process"


class McpEndpoint:
    """A background part (started and stopped with the container) and the route's ASGI app."""

    name = "mcp-http"

    def __init__(self, settings: McpSettings, specs: tuple[ToolSpec, ...]) -> None:
        self.settings = settings
        self.specs = specs
        self.server = build_server(self._resolve)
        self.manager: StreamableHTTPSessionManager | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        # One ToolBox and one HTTP client per app served (one in production; tests build more).
        self._boxes: dict[int, tuple[ToolBox, httpx.AsyncClient]] = {}

    async def start(self) -> None:
        # Stateless: no session to keep, so any replica answers any POST; JSON answers rather
        # than SSE, since no tool streams progress. No Host/Origin checks: every request needs
        # a bearer token, which a browser tricked by DNS rebinding does not send.
        self.manager = StreamableHTTPSessionManager(app=self.server, stateless=True,
                                                    json_response=True)
        self._stop = asyncio.Event()
        ready = asyncio.Event()

        async def run() -> None:
            assert self.manager is not None
            async with self.manager.run():
                ready.set()
                await self._stop.wait()

        # The manager's task group must be entered and left in one task: its own.
        self._task = asyncio.create_task(run(), name="mcp-session-manager")
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._task.done():
            await self._task  # raises what stopped it

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        self._task, self.manager = None, None
        for _, client in self._boxes.values():
            await client.aclose()
        self._boxes.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.manager is None:
            await send_problem(send, unavailable("the MCP endpoint is not started", 5),
                               scope["path"])
            return
        await self.manager.handle_request(scope, receive, problems(send, scope["path"]))

    async def _resolve(self, ctx: Any) -> tuple[ToolBox, CallRoute]:
        request = ctx.request  # the Starlette request that carried this MCP message
        box, client = self._box(request.scope["app"])
        return box, sender(client, request.headers.get("authorization"))

    def _box(self, app: Any) -> tuple[ToolBox, httpx.AsyncClient]:
        found = self._boxes.get(id(app))
        if found is None:
            # Built on the first MCP request, when every context's routes are in the app.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            client = httpx.AsyncClient(transport=transport, base_url=IN_PROCESS,
                                       timeout=self.settings.timeout)
            found = self._boxes[id(app)] = (ToolBox(self.specs, app.openapi()), client)
        return found


def problems(send: Send, path: str) -> Send:
    """`send`, with the SDK's plain-text refusals (a wrong Content-Type, say) made RFC 9457
    problems like every other answer of the API. Its JSON-RPC error answers are the protocol's
    own and pass unchanged."""
    held: Message | None = None

    async def wrapped(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start" and message["status"] >= 400:
            types = [v for k, v in message.get("headers", ()) if k.lower() == b"content-type"]
            if not any(t.startswith(b"application/json") for t in types):
                held = message  # a Starlette Response: its whole body comes in one message
                return
        if held is not None and message["type"] == "http.response.body":
            status = held["status"]
            detail = message.get("body", b"").decode("utf-8", "replace")[:500]
            await send_problem(send, Problem(status, HTTPStatus(status).phrase, detail), path)
            return
        await send(message)

    return wrapped
