"""Cache adapters (memory:// now; redis:// implements the same port)."""
