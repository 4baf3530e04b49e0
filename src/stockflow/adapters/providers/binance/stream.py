"""Binance's combined `<symbol>@trade` WebSocket stream as a pipeline feed (pipeline/streams.py).

One connection carries every pair (`/stream?streams=btcusdt@trade/ethusdt@trade`); no message
needs sending. Each frame is one trade, parsed by `parse.trade_event` into a raw tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from stockflow.adapters.providers.binance import parse, symbols

DEFAULT_STREAM_URL = "wss://stream.binance.com:9443"


class BinanceTradeFeed:
    name = "binance"

    def __init__(self, tickers: Sequence[str], *, base_url: str | None = None) -> None:
        self.symbols = [s for s in (symbols.to_vendor(t) for t in tickers) if s]
        if not self.symbols:
            raise ValueError("no ticker maps to a Binance symbol")
        self.base_url = (base_url or DEFAULT_STREAM_URL).rstrip("/")

    def url(self) -> str:
        streams = "/".join(f"{s.lower()}@trade" for s in self.symbols)
        return f"{self.base_url}/stream?streams={streams}"

    def subscribe_messages(self) -> Sequence[str]:
        return ()

    def parse(self, frame: str | bytes) -> list[dict[str, Any]]:
        return [parse.trade_event(orjson.loads(frame))]
