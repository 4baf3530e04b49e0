"""Types and pure rules: here, how many quote updates each ticker has had."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tally:
    ticker: str
    updates: int

    def to_wire(self) -> dict[str, object]:
        return {"ticker": self.ticker, "updates": self.updates}
