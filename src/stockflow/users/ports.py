"""What the users context offers others: the watchlists of every user (for the orchestrator's
pre-market scans and digests) and its published models (users/domain.py)."""

from __future__ import annotations

from typing import Any, Protocol


class Watchlists(Protocol):
    async def watchlists(self, user_id: str) -> list[dict[str, Any]]: ...
