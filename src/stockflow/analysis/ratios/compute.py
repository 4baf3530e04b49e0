"""Ratios for one period: every definition run over recorded inputs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stockflow.analysis.periods import PeriodData
from stockflow.analysis.ratios.catalogue import LIQUIDITY, PROFITABILITY, VALUATION, RatioDef
from stockflow.analysis.ratios.inputs import Inputs, MarketData
from stockflow.analysis.ratios.operating import CASH_FLOW, EFFICIENCY, PER_SHARE, SOLVENCY
from stockflow.analysis.ratios.scores import SCORES

ALL: tuple[RatioDef, ...] = (*VALUATION, *PROFITABILITY, *LIQUIDITY, *SOLVENCY, *EFFICIENCY,
                             *CASH_FLOW, *PER_SHARE, *SCORES)
BY_NAME = {r.name: r for r in ALL}
GROUPS = tuple(dict.fromkeys(r.group for r in ALL))
# The free tier's fixed short list.
FREE = ("price_to_earnings", "price_to_book", "gross_margin", "net_margin", "return_on_equity",
        "current_ratio", "debt_to_equity", "eps_diluted")


@dataclass(frozen=True, slots=True)
class Ratio:
    name: str
    group: str
    formula: str
    unit: str
    value: float | None
    inputs: dict[str, dict[str, Any]]


def compute(current: PeriodData, prior: PeriodData | None = None,
            market: MarketData | None = None,
            names: Sequence[str] | None = None) -> list[Ratio]:
    """Each ratio with the inputs it read; a value that is not finite is None."""
    x = Inputs(current, prior, market)
    out: list[Ratio] = []
    for r in (ALL if names is None else [BY_NAME[n] for n in names]):
        x.reset()
        value = r.fn(x)
        if value is not None and not math.isfinite(value):
            value = None
        out.append(Ratio(r.name, r.group, r.formula, r.unit, value, dict(x.used)))
    return out
