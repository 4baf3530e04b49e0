"""The pipeline serves no HTTP route of its own: what it produces is read through the market's
routes (quotes, history) and the quote stream (market/api.py, market/stream_api.py)."""
