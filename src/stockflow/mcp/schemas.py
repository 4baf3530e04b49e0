"""No wire models of its own: tool input schemas are derived from the routes' OpenAPI
operations (domain.derive); the MCP messages are the SDK's (`mcp_types`)."""
