"""StockFlow: a self-hostable market-data and stock/crypto research platform."""

__version__ = "0.1.0"
