"""Portfolios in one base currency: each transaction and each daily close converted from its
instrument's currency at the FX rate of its own day (the market's `FxRates` port), so the
average-cost and time-weighted arithmetic of performance.py runs on figures of one currency.
What was used is handed back with the result: the pairs and the rate of every series day."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from stockflow.core.problems import invalid
from stockflow.market.ports import FxRates
from stockflow.users.performance import Transaction

Series = list[tuple[date, float]]


def rate_on(series: Series, day: date) -> float:
    """The last rate on or before `day`; before the series starts, its first rate (the
    response's `fx` block says from which day rates are known)."""
    i = bisect_right(series, (day, float("inf")))
    return series[i - 1][1] if i else series[0][1]


def check_currency(fx: FxRates, code: str) -> str:
    code = code.upper()
    if code not in fx.currencies:
        raise invalid(f"base_currency {code} has no FX rates; "
                      f"known: {', '.join(sorted(fx.currencies))}")
    return code


@dataclass(frozen=True, slots=True)
class Conversion:
    base: str
    currency_of: Mapping[str, str]          # ticker -> its instrument's currency
    rates: Mapping[str, Series]             # currency -> units of base per one unit, by day
    pairs: Mapping[str, list[str]]          # currency -> the FX pairs its rates came from

    def rate(self, ticker: str, day: date) -> float:
        cur = self.currency_of[ticker]
        return 1.0 if cur == self.base else rate_on(self.rates[cur], day)

    def transactions(self, txs: list[Transaction]) -> list[Transaction]:
        out = []
        for t in txs:
            r = self.rate(t.ticker, t.executed_at.date())
            out.append(replace(t, price=t.price * r, fee=t.fee * r))
        return out

    def closes(self, closes: Mapping[str, Series]) -> dict[str, Series]:
        return {t: [(d, c * self.rate(t, d)) for d, c in rows] for t, rows in closes.items()}

    def describe(self, days: list[str]) -> dict[str, Any]:
        """The `fx` block of a response: per foreign currency, its pairs, the first day a rate
        is known and the rate applied on each series day."""
        out: dict[str, Any] = {}
        for cur, series in sorted(self.rates.items()):
            out[cur] = {"pairs": self.pairs[cur], "quote": f"{self.base} per {cur}",
                        "known_from": series[0][0].isoformat(),
                        "rates": {d: round(rate_on(series, date.fromisoformat(d)), 10)
                                  for d in days}}
        return out


async def conversion(fx: FxRates, base: str, currency_of: Mapping[str, str], start: date,
                     end: date) -> Conversion:
    foreign = sorted({c for c in currency_of.values() if c != base})
    rates = {c: await fx.fx_series(c, base, start, end) for c in foreign}
    return Conversion(base, dict(currency_of), rates,
                      {c: fx.pairs_of(c, base) for c in foreign})
