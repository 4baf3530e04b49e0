"""The MCP context offers no port: it is a client of the platform's own HTTP routes."""
