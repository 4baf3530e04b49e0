"""No repository: the MCP context stores nothing; its tools read through the platform's routes."""
