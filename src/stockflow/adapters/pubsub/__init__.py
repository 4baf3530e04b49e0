"""Pub/sub adapters: fire-and-forget fan-out for live streams (memory://, redis://)."""
