"""The scheduler consumes no bus event: it fires jobs by their cron (service.py)."""
