"""The users context's own Alembic revisions, a branch of their own (`branch_labels`), on top
of the platform revision that created its tables (0003_users)."""
