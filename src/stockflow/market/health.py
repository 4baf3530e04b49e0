"""The market's health component: its vendors, as their breakers see them."""

from __future__ import annotations

from typing import Any

from stockflow.core.health import DEGRADED, DOWN, OK
from stockflow.core.module import Check
from stockflow.market.providers import MarketSources


def providers_check(sources: MarketSources) -> Check:
    async def check() -> tuple[str, Any]:
        """Degraded while any vendor's breaker is open; down when every vendor of an asset
        class is (that class is then served stale or not at all)."""
        rows = sources.health()
        tripped = [f"{r['chain']}:{r['provider']}" for r in rows if r["breaker_state"] == "open"]
        chains_down = [chain for chain in sources.chains
                       if all(r["breaker_state"] == "open" for r in rows if r["chain"] == chain)]
        state = DOWN if chains_down else DEGRADED if tripped else OK
        return state, {"live": sources.live, "simulated": sources.simulated_classes,
                       "open_breakers": tripped, "chains_down": chains_down}

    return check
