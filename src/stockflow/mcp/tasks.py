"""No scheduled jobs: the MCP context only answers requests."""
