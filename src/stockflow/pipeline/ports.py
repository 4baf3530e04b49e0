"""The pipeline's ports: what feeds it (tick sources, vendor feeds). What it needs from the
market (calendars, the universe, the quote sink, the tick planner) is in market/ports.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class TickSource(Protocol):
    """Something polled for raw ticks: the simulated market, or a provider chain."""

    name: str

    async def poll(self, now: datetime) -> list[dict[str, Any]]: ...
