"""Alpha Vantage adapter: GLOBAL_QUOTE quotes and TIME_SERIES_INTRADAY/DAILY bars."""

from stockflow.adapters.providers.alphavantage.provider import AlphaVantageProvider

make_provider = AlphaVantageProvider.from_settings

__all__ = ["AlphaVantageProvider", "make_provider"]
