"""Binance spot adapter: REST quotes and klines, and the trade-stream event → raw tick parser."""

from stockflow.adapters.providers.binance.parse import trade_event
from stockflow.adapters.providers.binance.provider import BinanceProvider

make_provider = BinanceProvider.from_settings

__all__ = ["BinanceProvider", "make_provider", "trade_event"]
