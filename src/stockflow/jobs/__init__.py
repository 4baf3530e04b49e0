"""Jobs: the scheduler of every recurring job, its run history and its cross-instance locks."""
