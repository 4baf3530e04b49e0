"""The controller (seeds 000, 001): the admin API under /api/admin/* behind X-API-Key."""
