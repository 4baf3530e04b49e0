"""Yahoo Finance adapter (unofficial, keyless): v8 chart bars and quotes, v7 quotes."""

from stockflow.adapters.providers.yahoo.provider import YahooProvider

make_provider = YahooProvider.from_settings

__all__ = ["YahooProvider", "make_provider"]
