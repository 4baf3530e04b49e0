"""IdempotencyStore adapters: memory:// (one process), sql:// (the storage database), redis://.

Chosen by URL through `stockflow.core.registry`; each module is imported only when used.
"""
