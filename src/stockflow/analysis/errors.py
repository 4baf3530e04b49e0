"""The analysis context's errors: each is already an RFC 9457 problem, so no route maps them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockflow.core.problems import TYPE_BASE, Problem


class UnknownIndicator(Problem):
    """An indicator name TA-Lib does not have; carries the nearest names it does have."""

    def __init__(self, name: str, suggestions: Sequence[str]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(422, "Unknown Indicator", f"no indicator is called {name!r}{hint}",
                         type_=TYPE_BASE + "unknown-indicator", indicator=name,
                         suggestions=list(suggestions))


class InvalidParameter(Problem):
    """A parameter TA-Lib would refuse (out of range, wrong type) or that the indicator lacks."""

    def __init__(self, indicator: str, parameter: str, value: Any, reason: str) -> None:
        super().__init__(422, "Invalid Parameter", f"{indicator}.{parameter}={value!r}: {reason}",
                         type_=TYPE_BASE + "validation",
                         errors=[{"loc": ["query", f"{indicator}.{parameter}"],
                                  "msg": reason, "input": str(value)}])
        self.indicator, self.parameter = indicator, parameter


class MissingInput(Problem):
    """An indicator needs an input series the caller did not supply (MAVP's `periods`)."""

    def __init__(self, indicator: str, series: str) -> None:
        super().__init__(422, "Missing Input", f"{indicator} needs the input series {series!r}",
                         type_=TYPE_BASE + "validation", indicator=indicator, series=series)


class NoFundamentals(Problem):
    """The instrument exists but its asset class has no financial statements."""

    def __init__(self, ticker: str, reason: str) -> None:
        super().__init__(404, "No Fundamentals", f"{ticker!r} has no financial statements: "
                         f"{reason}", type_=TYPE_BASE + "no-fundamentals", ticker=ticker)


class ImpossibleInput(Problem):
    """A valuation or ratio input that makes the model meaningless (g >= WACC, shares <= 0)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(422, "Impossible Input", f"{field}: {reason}",
                         type_=TYPE_BASE + "validation",
                         errors=[{"loc": ["query", field], "msg": reason}])
        self.field = field


class NoTickerServed(Problem):
    """A batch in which not one ticker could be served: 404, with each ticker's own problem.
    A batch with at least one servable ticker answers 200 and lists these per ticker instead."""

    def __init__(self, problems: dict[str, dict[str, Any]]) -> None:
        super().__init__(404, "Not Found", f"none of the tickers can be served: "
                         f"{', '.join(problems)}", type_=TYPE_BASE + "not-found",
                         tickers=problems)
