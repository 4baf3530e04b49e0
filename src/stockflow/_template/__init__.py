"""A skeleton bounded context to copy: every part a context has, each doing the least it can.
A test builds it beside the real contexts, so it cannot rot (tests/unit/architecture)."""
