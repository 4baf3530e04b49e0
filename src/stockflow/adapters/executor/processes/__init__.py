"""Executor on a pool of local processes."""
