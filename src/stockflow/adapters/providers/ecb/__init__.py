"""European Central Bank adapter: the euro foreign exchange reference rates (daily and 90 days)."""

from stockflow.adapters.providers.ecb.provider import EcbProvider

make_provider = EcbProvider.from_settings

__all__ = ["EcbProvider", "make_provider"]
