"""What the signal engine offers other contexts (current signals, for the intel context) and
what it needs of storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from stockflow.signals.domain import Sentiment


@runtime_checkable
class SignalReader(Protocol):
    """Published for other contexts: the same body as GET /v1/signals/{ticker} (ticker, as_of,
    interval, signals: [{strategy, action, strength, confidence, reasons}], ensemble)."""

    async def current(self, ticker: str) -> dict[str, Any]: ...


class StrategyStore(Protocol):
    async def add(self, owner_id: str, strategy_id: str, doc: dict[str, Any],
                  at: datetime) -> None: ...
    async def get(self, owner_id: str, strategy_id: str) -> dict[str, Any] | None: ...
    async def list(self, owner_id: str) -> list[dict[str, Any]]: ...
    async def count(self, owner_id: str) -> int: ...
    async def delete(self, owner_id: str, strategy_id: str) -> bool: ...


class SignalState(Protocol):
    """The last signal announced per (ticker, interval, strategy)."""

    async def last(self, ticker: str, interval: str) -> dict[str, tuple[str, datetime]]: ...
    async def advance(self, ticker: str, interval: str,
                      rows: Sequence[tuple[str, str, datetime]]) -> None: ...


class SentimentStore(Protocol):
    async def add(self, rows: Sequence[dict[str, Any]]) -> None: ...
    async def between(self, ticker: str, start: datetime, end: datetime) -> Sentiment: ...
