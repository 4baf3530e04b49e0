"""Market data context: instruments, quotes, OHLCV history and market status (seed 002 §2)."""
