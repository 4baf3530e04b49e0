"""Growth: year over year, quarter over quarter, and 3- and 5-year compound annual rates.

Rates of change divide by the absolute base, so a loss shrinking from -10 to -5 is +50 %;
a zero base has no rate. Margins change in percentage points (0.30 → 0.33 is +0.03), since a
"growth rate of a margin" is not what anyone means. CAGR needs a positive start and a
non-negative end: across a sign change there is no compound rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import Number
from stockflow.analysis.periods import PeriodData, quarter_before, year_before
from stockflow.analysis.ratios.inputs import div, sub

_I, _C = StatementType.INCOME, StatementType.CASH_FLOW


def _fcf(p: PeriodData) -> Number | None:
    fcf = p.line(_C, "free_cash_flow")
    return fcf if fcf is not None else sub(p.line(_C, "operating_cash_flow"),
                                           p.line(_C, "capital_expenditure"))


def _margin(line: str) -> Callable[[PeriodData], float | None]:
    return lambda p: div(p.line(_I, line), p.line(_I, "revenue"))


METRICS: dict[str, tuple[Callable[[PeriodData], Number | None], bool]] = {
    # name → (how to read it, whether it is a margin)
    "revenue": (lambda p: p.line(_I, "revenue"), False),
    "net_income": (lambda p: p.line(_I, "net_income"), False),
    "operating_income": (lambda p: p.line(_I, "operating_income"), False),
    "eps_diluted": (lambda p: p.line(_I, "eps_diluted"), False),
    "free_cash_flow": (_fcf, False),
    "gross_margin": (_margin("gross_profit"), True),
    "operating_margin": (_margin("operating_income"), True),
    "net_margin": (_margin("net_income"), True),
}


@dataclass(frozen=True, slots=True)
class Change:
    metric: str
    current: float | None
    base: float | None
    base_end: str | None
    value: float | None
    kind: str           # "rate" or "points"


def rate(current: Number | None, base: Number | None) -> float | None:
    if current is None or base is None or base == 0:
        return None
    return (current - base) / abs(base)


def cagr(start: Number | None, end: Number | None, years: float) -> float | None:
    if start is None or end is None or years <= 0 or start <= 0 or end < 0:
        return None
    return (end / start) ** (1 / years) - 1


def _change(metric: str, now: PeriodData, base: PeriodData | None) -> Change:
    read, is_margin = METRICS[metric]
    a = read(now)
    b = read(base) if base is not None else None
    value = sub(a, b) if is_margin else rate(a, b)
    return Change(metric, a, b, base.end.isoformat() if base else None, value,
                  "points" if is_margin else "rate")


def changes(current: PeriodData, series: Sequence[PeriodData], *,
            quarter_on_quarter: bool = False) -> list[Change]:
    """Every metric against the period a year (or a quarter) before, taken from `series`."""
    base = (quarter_before if quarter_on_quarter else year_before)(current, series)
    return [_change(m, current, base) for m in METRICS]


def compound(annual: Sequence[PeriodData], years: int) -> list[Change]:
    """CAGR over the last `years` fiscal years (needs years + 1 annual periods)."""
    if len(annual) < years + 1:
        return [Change(m, None, None, None, None, "rate") for m in METRICS if not METRICS[m][1]]
    end, start = annual[-1], annual[-1 - years]
    span = (end.end - start.end).days / 365.25
    out = []
    for metric, (read, is_margin) in METRICS.items():
        if not is_margin:
            a, b = read(end), read(start)
            out.append(Change(metric, a, b, start.end.isoformat(), cagr(b, a, span), "rate"))
    return out
