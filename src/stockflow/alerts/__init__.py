"""The alerts context: rules, evaluation, delivery (see docs/alerts.md)."""
