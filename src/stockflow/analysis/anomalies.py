"""What `financials.anomaly.detected` reports: negative operating cash flow, a margin collapse,
a restatement, and an accounting identity that fails in a vendor's numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import PeriodType, Statement
from stockflow.analysis.identities import balance_breaches, cash_flow_breaches, income_breaches
from stockflow.analysis.ratios.inputs import div

MARGIN_COLLAPSE_POINTS = 0.10     # operating margin down by 10 points on the year before
IDENTITY_TOLERANCE = 0.005        # vendors round; 0.5 % of the larger side is still "holds"


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: str           # negative_operating_cash_flow | margin_collapse | restatement | identity
    ticker: str
    period: PeriodType
    end: date
    detail: str


def _identity(s: Statement) -> list[Anomaly]:
    # Totals only: a vendor's sub-lines need not add up to our chart's totals.
    if s.statement is StatementType.BALANCE:
        breaches = balance_breaches(s.items, IDENTITY_TOLERANCE, components=False)
    elif s.statement is StatementType.CASH_FLOW:
        breaches = cash_flow_breaches(s.items, IDENTITY_TOLERANCE, components=False)
    else:
        breaches = income_breaches(s.items, IDENTITY_TOLERANCE)
    return [Anomaly("identity", s.ticker, s.period, s.end,
                    f"{b.identity}: {b.left:,.0f} vs {b.right:,.0f} ({s.source})")
            for b in breaches]


def _margin(s: Statement) -> float | None:
    return div(s.items.get("operating_income"), s.items.get("revenue"))


def detect(statements: Sequence[Statement]) -> list[Anomaly]:
    out: list[Anomaly] = []
    incomes: dict[tuple[PeriodType, date], Statement] = {}
    for s in statements:
        out += _identity(s)
        cfo = s.items.get("operating_cash_flow")
        if s.statement is StatementType.CASH_FLOW and cfo is not None and cfo < 0:
            out.append(Anomaly("negative_operating_cash_flow", s.ticker, s.period, s.end,
                               f"operating cash flow {cfo:,.0f}"))
        if s.revision > 0 or "restated" in s.flags:
            out.append(Anomaly("restatement", s.ticker, s.period, s.end,
                               f"{s.statement.value} revised (revision {s.revision})"))
        if s.statement is StatementType.INCOME:
            incomes[(s.period, s.end)] = s
    for (period, end), s in incomes.items():
        before = [p for (k, e), p in incomes.items() if k is period and 330 <= (end - e).days
                  <= 400]
        now, then = _margin(s), _margin(before[-1]) if before else None
        if now is not None and then is not None and then - now >= MARGIN_COLLAPSE_POINTS:
            out.append(Anomaly("margin_collapse", s.ticker, period, end,
                               f"operating margin {then:.1%} → {now:.1%}"))
    return out
