"""Executor adapters (the predict context's port): local processes and Dask distributed."""
