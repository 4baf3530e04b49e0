"""Adapters of the alerts AlertStateStore port (the in-memory one is in stockflow.alerts.ports)."""
