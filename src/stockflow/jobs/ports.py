"""What the jobs context offers others: the run history, for diagnostics."""

from __future__ import annotations

from typing import Any, Protocol


class JobHistory(Protocol):
    async def recent_failures(self, limit: int = 20) -> list[Any]: ...
