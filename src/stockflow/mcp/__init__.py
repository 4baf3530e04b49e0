"""The MCP server: the platform's routes as Model Context Protocol tools, over stdio
(`stockflow mcp`) and streamable HTTP (`/v1/mcp`), each tool run with the caller's token."""
