"""The MCP context keeps no tables: it holds no state of its own (stateless HTTP sessions)."""
