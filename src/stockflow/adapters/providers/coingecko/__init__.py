"""CoinGecko adapter: crypto quotes, rates and derived bars from the public v3 API."""

from stockflow.adapters.providers.coingecko.provider import CoinGeckoProvider

make_provider = CoinGeckoProvider.from_settings

__all__ = ["CoinGeckoProvider", "make_provider"]
