"""SQL storage adapter: SQLite and PostgreSQL behind the Database port, with alembic migrations.

Import `stockflow.adapters.storage.database.make_database` lazily (from the registry), so importing
this package stays cheap and makes no engine.
"""
