"""DhanHQ v2 adapter: NSE quotes from the marketfeed REST API and a live-feed packet decoder."""

from stockflow.adapters.providers.dhan.parse import packet
from stockflow.adapters.providers.dhan.provider import DhanProvider

make_provider = DhanProvider.from_settings

__all__ = ["DhanProvider", "make_provider", "packet"]
