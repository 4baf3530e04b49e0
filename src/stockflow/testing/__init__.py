"""Fakes shipped with the package so tests and users' own tests build StockFlow the same way."""
