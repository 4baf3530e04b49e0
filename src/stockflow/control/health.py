"""Component health: one check per component, each timed, all at once.

The checks come from every context's module (`ContextParts.health`) and the platform's own
(core/health.py), collected by the composition root. A check returns (state, detail); raising,
or taking longer than the timeout, makes the component "down" with the error as detail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from stockflow.control.domain import DOWN, ComponentHealth
from stockflow.core.module import Check


async def check_component(name: str, check: Check, timeout: float) -> ComponentHealth:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            state, detail = await check()
    except TimeoutError:
        state, detail = DOWN, f"no answer within {timeout:g} s"
    except Exception as e:  # noqa: BLE001 - a health check reports, it does not raise
        state, detail = DOWN, f"{type(e).__name__}: {e}"
    latency = round((time.perf_counter() - started) * 1000, 3)
    return ComponentHealth(name, state, latency, detail)


class HealthService:
    """Checks the components of this process, all at once."""

    def __init__(self, components: Mapping[str, Check], *, timeout: float = 5.0) -> None:
        self.components = components  # read at each check: filled once every context is built
        self.timeout = timeout
        self._last: tuple[float, list[ComponentHealth]] | None = None

    async def check(self, max_age: float = 0.0) -> list[ComponentHealth]:
        """Check every component; with `max_age`, a result that recent is reused (the public
        /api/health must not turn each anonymous request into a broker write)."""
        now = time.monotonic()
        if max_age and self._last is not None and now - self._last[0] < max_age:
            return self._last[1]
        result = list(await asyncio.gather(*(
            check_component(name, check, self.timeout)
            for name, check in self.components.items())))
        self._last = (now, result)
        return result
