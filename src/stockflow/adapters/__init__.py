"""Infrastructure: each module implements a port from stockflow.core.ports."""
