"""Live news fan-out to WebSocket clients on the shared stream machinery (core/streaming.py):
an article reaches clients subscribed to any of its tickers or event types, once each; every
article is its own slot and a slow client keeps at most MAX_QUEUED, dropping the oldest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stockflow.core.catalogue import NEWS_STREAM
from stockflow.core.metrics import Metrics
from stockflow.core.ports import PubSub
from stockflow.core.streaming import StreamHub
from stockflow.news.messages import stream_keys

MAX_QUEUED = 200


class NewsHub(StreamHub):
    frame_type = "news"
    max_slots = MAX_QUEUED

    def __init__(self, pubsub: PubSub, metrics: Metrics, *, heartbeat: float = 15.0) -> None:
        super().__init__(pubsub, metrics, NEWS_STREAM, "news", heartbeat=heartbeat)

    def route(self, item: dict[str, Any]) -> tuple[str, Iterable[str]]:
        return item["id"], stream_keys(item)
