"""The MCP context's declaration: the `/v1/mcp` route with its guard and the session manager
that serves it, in the `mcp` HTTP service. Tools are the table in tools.py."""

from __future__ import annotations

from stockflow.core.module import ContextModule, ContextParts, Plan, Platform
from stockflow.mcp.config import McpSettings

SERVICE = "mcp"


def build(p: Platform, plan: Plan) -> ContextParts:
    parts = ContextParts("mcp")
    if plan.serves(SERVICE):
        # Imported here: the SDK (and its web stack) only in processes that serve HTTP.
        from stockflow.mcp import api
        from stockflow.mcp.endpoint import McpEndpoint
        from stockflow.mcp.tools import TOOLS

        endpoint = McpEndpoint(p.settings.mcp, TOOLS)
        parts.routers.append(api.router(endpoint))
        parts.guards += api.GUARDS
        parts.background.append(endpoint)
    return parts


MODULE = ContextModule(
    name="mcp",
    build=build,
    settings={"mcp": McpSettings},
    services=(SERVICE,),
    enabled=lambda settings: settings.mcp.enabled,
)
