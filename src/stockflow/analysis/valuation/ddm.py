"""Dividend discount: Gordon growth and two-stage (high growth for n years, then stable)."""

from __future__ import annotations

from stockflow.analysis.errors import ImpossibleInput


def _check(dividend: float, rate: float, growth: float, field: str) -> None:
    if dividend <= 0:
        raise ImpossibleInput("dividend", "the company pays no dividend; the dividend discount "
                              "model does not apply")
    if growth >= rate:
        raise ImpossibleInput(field, f"{growth:.2%} is not below the cost of equity "
                              f"{rate:.2%}; a perpetuity needs g < r")


def gordon(dividend: float, rate: float, growth: float) -> float:
    """Value of D0 growing at g forever, discounted at r: D0 (1 + g) / (r - g)."""
    _check(dividend, rate, growth, "growth")
    return dividend * (1 + growth) / (rate - growth)


def two_stage(dividend: float, rate: float, high_growth: float, years: int,
              stable_growth: float) -> dict[str, float]:
    """D0 growing at g1 for `years`, then at g2 for ever; the terminal value is Gordon's."""
    _check(dividend, rate, stable_growth, "stable_growth")
    if not 1 <= years <= 30:
        raise ImpossibleInput("years", f"must be 1 to 30, got {years}")
    pv, d = 0.0, dividend
    for t in range(1, years + 1):
        d *= 1 + high_growth
        pv += d / (1 + rate) ** t
    terminal = d * (1 + stable_growth) / (rate - stable_growth)
    terminal_pv = terminal / (1 + rate) ** years
    return {"explicit_present_value": pv, "terminal_value": terminal,
            "terminal_present_value": terminal_pv, "value_per_share": pv + terminal_pv}
