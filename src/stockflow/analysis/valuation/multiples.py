"""A company's multiples against its peers: median, quartiles, rank and implied price.

Only positive multiples enter the peer statistics: a negative P/E (a loss) says nothing about
how the market prices earnings, and would drag a median towards zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

MULTIPLES = ("price_to_earnings", "ev_to_ebitda", "price_to_sales", "price_to_book")


@dataclass(frozen=True, slots=True)
class PeerStat:
    multiple: str
    company: float | None
    peers: int
    median: float | None
    q1: float | None
    q3: float | None
    percentile: float | None       # share of peers below the company, 0..100
    implied_price: float | None    # the company's price at the peer median


def _implied(multiple: str, median: float, base: Mapping[str, float | None]) -> float | None:
    # Each multiple's denominator per share; EV/EBITDA goes via EV less net debt.
    per_share = {"price_to_earnings": base.get("eps"), "price_to_sales": base.get(
        "revenue_per_share"), "price_to_book": base.get("book_value_per_share")}
    if multiple in per_share:
        value = per_share[multiple]
        return None if value is None or value <= 0 else median * value
    ebitda, net_debt, shares = base.get("ebitda"), base.get("net_debt"), base.get("shares")
    if ebitda is None or net_debt is None or not shares or ebitda <= 0:
        return None
    return (median * ebitda - net_debt) / shares


def compare(company: Mapping[str, float | None], peers: Mapping[str, Mapping[str, float | None]],
            base: Mapping[str, float | None]) -> list[PeerStat]:
    """`company` and each peer map multiple → value; `base` holds the company's per-share
    denominators (eps, revenue_per_share, book_value_per_share, ebitda, net_debt, shares)."""
    out = []
    for m in MULTIPLES:
        values = np.array([v[m] for v in peers.values() if v.get(m) is not None and v[m] > 0],
                          dtype=np.float64)
        mine = company.get(m)
        if len(values) == 0:
            out.append(PeerStat(m, mine, 0, None, None, None, None, None))
            continue
        q1, median, q3 = (float(x) for x in np.percentile(values, [25, 50, 75]))
        rank = None if mine is None else float(100 * np.mean(values < mine))
        out.append(PeerStat(m, mine, len(values), median, q1, q3, rank,
                            _implied(m, median, base)))
    return out
