"""Job runs go out as `JobRun.to_dict()` (domain.py) inside the usual envelope (api.py)."""
