"""The signal engine's own Alembic revisions: a branch of their own (`branch_labels`)."""
