"""Process shapes (http app, monolith, cli); each one builds StockFlow through bootstrap()."""
