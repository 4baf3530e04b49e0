"""The intel context's own Alembic revisions: a branch of their own (`branch_labels`)."""
