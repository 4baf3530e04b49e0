"""Live quote fan-out to WebSocket clients, fed by the pub/sub channel the realtime worker fills.

The hub and the conflating queues are the shared stream machinery (core/streaming.py); a quote's
slot is its ticker, so a newer quote replaces one the client has not read yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stockflow.core.catalogue import QUOTE_STREAM
from stockflow.core.metrics import Metrics
from stockflow.core.ports import PubSub
from stockflow.core.streaming import ClientQueue, StreamHub

__all__ = ["ClientQueue", "QuoteHub"]


class QuoteHub(StreamHub):
    frame_type = "quote"

    def __init__(self, pubsub: PubSub, metrics: Metrics, stream: str = "quotes", *,
                 heartbeat: float = 15.0) -> None:
        super().__init__(pubsub, metrics, QUOTE_STREAM, stream, heartbeat=heartbeat)
        self.name = "quote-hub"

    def route(self, item: dict[str, Any]) -> tuple[str, Iterable[str]]:
        return item["ticker"], (item["ticker"],)

    @property
    def by_ticker(self) -> dict[str, set[ClientQueue]]:
        return self.by_key
