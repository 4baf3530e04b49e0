"""Technical indicators: TA-Lib's catalogue, parameter parsing and computation on OHLCV arrays."""
