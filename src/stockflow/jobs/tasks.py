"""The scheduler declares no job of its own: every context declares its jobs in its module and
the scheduler runs them all (service.py); finished runs are pruned after each run."""
