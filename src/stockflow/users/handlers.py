"""The users context consumes no bus event; it publishes `user.registered` and
`watchlist.updated` (core/catalogue.py)."""
