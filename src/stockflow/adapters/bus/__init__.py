"""Event-bus adapters (memory:// now; redis:// and nats:// implement the same port)."""
