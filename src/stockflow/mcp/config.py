"""The MCP context's settings section (`STOCKFLOW_MCP__...`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class McpSettings(BaseModel):
    enabled: bool = Field(True, description="Serve MCP over streamable HTTP at /v1/mcp.")
    timeout: float = Field(60.0, gt=0, description="Seconds one tool's route call may take.")
