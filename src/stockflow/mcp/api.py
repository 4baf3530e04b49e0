"""The streamable HTTP route `/v1/mcp` and who may call it.

ACCOUNT (any signed-in tier), not read:quotes: an MCP client acts for a user, and each tool's
own route then checks the permission it needs with that user's token; an anonymous caller is
refused here even where anonymous access is on, so an agent never runs tools unidentified."""

from __future__ import annotations

from fastapi import APIRouter

from stockflow.core.permissions import ACCOUNT, Guard
from stockflow.mcp.endpoint import McpEndpoint

PATH = "/v1/mcp"
GUARDS = [Guard(PATH, ACCOUNT)]


def router(endpoint: McpEndpoint) -> APIRouter:
    r = APIRouter(tags=["mcp"])
    # A plain ASGI route: the SDK reads the body and writes the answer itself. POST only: the
    # stateless transport has no session to stream on (GET) or to end (DELETE).
    r.add_route(PATH, endpoint, methods=["POST"], include_in_schema=False)
    return r
