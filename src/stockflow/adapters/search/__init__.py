"""SearchIndex adapters: SQLite FTS5 (embedded) and PostgreSQL full text (scaled out)."""
