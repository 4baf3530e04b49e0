"""Predictive analytics: forecasts, volatility, risk, correlation, portfolios and anomalies."""
