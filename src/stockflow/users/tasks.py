"""The users context schedules no job: expired refresh tokens are refused at use and pruned
with their session (users/service.py)."""
