"""No handler table: the MCP context consumes no events."""
