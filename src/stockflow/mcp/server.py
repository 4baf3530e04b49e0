"""The MCP server (the official SDK's low-level `Server`) over a ToolBox, shared by both
transports: each request resolves which tools it sees and how their routes are called (the
stdio process: one API at a URL with one token; the HTTP endpoint: this app with the caller's
own token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import mcp_types as types
from mcp.server.lowlevel import Server

import stockflow
from stockflow.mcp.domain import Request
from stockflow.mcp.service import Send, ToolBox

Resolve = Callable[[Any], Awaitable[tuple[ToolBox, Send]]]

INSTRUCTIONS = (
    "StockFlow market data and research: quotes, history, indicators, fundamentals, valuation, "
    "news and sentiment, forecasts and risk, alerts. Tickers look like AAPL, BTC-USD or "
    "RELIANCE.NS; `search` finds one by name. More tools are behind find_tools / call_tool. "
    "Every tool runs with your account's tier: a refusal names the permission it needs.")


def build_server(resolve: Resolve) -> Server[Any]:
    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        box, _ = await resolve(ctx)
        return types.ListToolsResult(tools=[
            types.Tool(name=t.name, description=t.description, input_schema=t.input_schema)
            for t in box.listed()])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        box, send = await resolve(ctx)
        outcome = await box.call(send, params.name, params.arguments)
        return types.CallToolResult(content=[types.TextContent(text=outcome.text)],
                                    is_error=outcome.is_error)

    return Server("stockflow", version=stockflow.__version__, instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool)


def sender(client: httpx.AsyncClient, authorization: str | None) -> Send:
    """Calls of one caller through `client`, with the caller's Authorization header."""
    headers = {"Authorization": authorization} if authorization else {}

    async def send(request: Request) -> httpx.Response:
        return await client.request(request.method, request.path, params=request.params,
                                    json=request.body, headers=headers)

    return send
