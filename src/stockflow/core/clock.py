"""Clock port implementation for production; tests use stockflow.testing.FakeClock."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    # The C function itself, not a method calling it: the memory cache reads this clock on
    # every quote, and a Python-level call cost more than the read.
    monotonic = staticmethod(time.monotonic)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
