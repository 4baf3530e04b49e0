"""`stockflow mcp`: the MCP server over stdio, a client of a StockFlow API at a URL with one
account's token. The tool list comes from that API's OpenAPI document, read once at start."""

from __future__ import annotations

import sys
from typing import Any

import httpx
from mcp.server.stdio import stdio_server

from stockflow.mcp.server import build_server, sender
from stockflow.mcp.service import ToolBox
from stockflow.mcp.tools import TOOLS


class StartError(Exception):
    """Why the stdio server cannot start (unreachable API, refused token); told on stderr."""


async def serve_stdio(url: str, token: str, *, timeout: float = 60.0) -> None:
    authorization = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client:
        box = await _toolbox(client, url, authorization)
        send = sender(client, authorization)

        async def resolve(ctx: Any) -> tuple[ToolBox, Any]:
            return box, send

        server = build_server(resolve)
        print(f"stockflow mcp: {len(box.tools)} tools over {url}"
              + (f"; not served there: {', '.join(box.left_out)}" if box.left_out else ""),
              file=sys.stderr)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


async def _toolbox(client: httpx.AsyncClient, url: str, authorization: str) -> ToolBox:
    """The tools the API serves; first, whether it takes the token (a refused token fails
    here, at start, rather than on every tool call)."""
    try:
        me = await client.get("/v1/users/me", headers={"Authorization": authorization})
        if me.status_code in (401, 403):
            detail = _detail(me)
            raise StartError(f"the StockFlow API at {url} refused the token: {detail}")
        openapi = await client.get("/openapi.json")
        openapi.raise_for_status()
    except httpx.HTTPError as exc:
        raise StartError(f"no StockFlow API at {url}: {type(exc).__name__}: {exc}") from None
    return ToolBox(TOOLS, openapi.json())


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("detail") or body.get("title"))
    except ValueError:
        return f"HTTP {response.status_code}"
