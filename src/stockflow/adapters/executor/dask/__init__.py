"""Executor on a Dask distributed cluster."""
