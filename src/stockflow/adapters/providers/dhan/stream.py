"""Dhan's v2 live market feed (binary WebSocket) as a pipeline feed (pipeline/streams.py).

Connect with the token and client id in the URL, as Dhan documents; subscribe with JSON
messages of at most 100 instruments each; decode each little-endian packet with
`parse.packet`. The feed has no sequence numbers, so each tick gets the receive time in
microseconds, kept strictly increasing: identities stay unique across reconnects and restarts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import orjson
from pydantic import SecretStr

from stockflow.adapters.providers.dhan import parse, symbols
from stockflow.core.resilience.errors import ProviderBadData

DEFAULT_FEED_URL = "wss://api-feed.dhan.co"
# RequestCode 15 subscribes Ticker packets, 17 Quote, 21 Full (top of book included).
SUBSCRIBE_QUOTE = 17
MAX_PER_MESSAGE = 100


class DhanLiveFeed:
    name = "dhan"

    def __init__(self, tickers: Sequence[str], *, token: SecretStr, client_id: str,
                 base_url: str | None = None, request_code: int = SUBSCRIBE_QUOTE) -> None:
        self.instruments = [v for v in (symbols.to_vendor(t) for t in tickers) if v]
        if not self.instruments:
            raise ValueError("no ticker maps to a Dhan security id")
        self.token = token
        self.client_id = client_id
        self.base_url = (base_url or DEFAULT_FEED_URL).rstrip("/")
        self.request_code = request_code
        self._last_seq = 0
        self.prev_close: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"DhanLiveFeed(base_url={self.base_url!r}, instruments={len(self.instruments)})"

    def url(self) -> str:
        query = {"version": "2", "token": self.token.get_secret_value(),
                 "clientId": self.client_id, "authType": "2"}
        return f"{self.base_url}?{urlencode(query)}"

    def subscribe_messages(self) -> Sequence[str]:
        out = []
        for i in range(0, len(self.instruments), MAX_PER_MESSAGE):
            chunk = self.instruments[i:i + MAX_PER_MESSAGE]
            out.append(orjson.dumps({
                "RequestCode": self.request_code, "InstrumentCount": len(chunk),
                "InstrumentList": [{"ExchangeSegment": seg, "SecurityId": str(sid)}
                                   for seg, sid in chunk]}).decode())
        return out

    def parse(self, frame: str | bytes) -> list[dict[str, Any]]:
        if isinstance(frame, str):
            raise ProviderBadData(self.name, "a text frame: the live feed sends binary packets")
        record = parse.packet(frame, self._next_seq())
        if record is None:
            return []
        segment, _, sid = record["symbol"].partition(":")
        ticker = symbols.from_vendor(segment, sid)
        if record.get("type") == "prev_close":
            self.prev_close[ticker] = record["prev_close"]
            return []
        record["symbol"] = ticker
        if record.get("prev_close") is None and ticker in self.prev_close:
            record["prev_close"] = self.prev_close[ticker]
        return [record]

    def _next_seq(self) -> int:
        self._last_seq = max(self._last_seq + 1, time.time_ns() // 1000)
        return self._last_seq
