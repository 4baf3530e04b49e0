"""What a ratio reads: statement lines of a period, the year before, and market data; every read
is recorded with its value and source, so each ratio can be checked by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import Number
from stockflow.analysis.periods import PeriodData

_LOOKUP = (StatementType.INCOME, StatementType.CASH_FLOW, StatementType.BALANCE)


@dataclass(frozen=True, slots=True)
class MarketData:
    """The market side of valuation ratios: a price and when and where it was seen."""

    price: float
    as_of: date | None = None
    source: str = ""


def div(a: Number | None, b: Number | None) -> float | None:
    """a / b, or None when either is missing or b is zero: a ratio never becomes inf or NaN."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def add(*values: Number | None) -> Number | None:
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def sub(a: Number | None, b: Number | None) -> Number | None:
    return None if a is None or b is None else a - b


def mul(a: Number | None, b: Number | None) -> Number | None:
    return None if a is None or b is None else a * b


class Inputs:
    """Reads for one ratio at a time; `used` holds what the current ratio read."""

    def __init__(self, current: PeriodData, prior: PeriodData | None = None,
                 market: MarketData | None = None) -> None:
        self.current, self.prior_period, self.market = current, prior, market
        self.used: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        self.used = {}

    def note(self, key: str, value: Number | None, source: dict[str, Any]) -> Number | None:
        self.used[key] = {"value": value, **source}
        return value

    def _line(self, period: PeriodData | None, name: str, key: str) -> Number | None:
        if period is None:
            return self.note(key, None, {"missing": "no period a year earlier"})
        for statement in _LOOKUP:
            found = period.statements.get(statement)
            if found is not None and name in found.items:
                value = period.line(statement, name)
                if value is not None or statement is _LOOKUP[-1]:
                    return self.note(key, value, period.source(statement, name))
        return self.note(key, None, {"missing": f"no line {name!r}"})

    def __call__(self, name: str) -> Number | None:
        derived = _DERIVED.get(name)
        if derived is not None:
            return self.note(name, derived(self, "", _cur), {"computed": _FORMULAS[name]})
        return self._line(self.current, name, name)

    def prior(self, name: str) -> Number | None:
        derived = _DERIVED.get(name)
        if derived is not None:
            return self.note(f"prior.{name}", derived(self, "prior.", _pri),
                                {"computed": _FORMULAS[name], "period": "year before"})
        return self._line(self.prior_period, name, f"prior.{name}")

    def avg(self, name: str) -> Number | None:
        """Mean of this period's and the prior year's level; this period's alone if no prior."""
        now = self(name)
        before = self.prior(name) if self.prior_period is not None else None
        value = now if before is None else add(now, before) / 2 if now is not None else None
        return self.note(f"avg.{name}", value, {"computed": f"({name} + prior.{name}) / 2"
                                                   if before is not None else name})

    def price(self) -> float | None:
        if self.market is None:
            return self.note("price", None, {"missing": "no market price"})
        return self.note("price", self.market.price, {
            "source": self.market.source, "as_of": self.market.as_of.isoformat()
            if self.market.as_of else None})


def _cur(x: Inputs, name: str) -> Number | None:
    return x(name)


def _pri(x: Inputs, name: str) -> Number | None:
    return x.prior(name)


def _shares(x: Inputs, _: str, get) -> Number | None:
    value = get(x, "shares_outstanding")
    return value if value is not None else get(x, "shares_diluted")


_DERIVED = {
    "ebit": lambda x, p, get: get(x, "operating_income"),
    "total_debt": lambda x, p, get: _debt(get(x, "short_term_debt"), get(x, "long_term_debt")),
    "cash_and_investments": lambda x, p, get: add(get(x, "cash"),
                                                  get(x, "short_term_investments") or 0),
    "working_capital": lambda x, p, get: sub(get(x, "total_current_assets"),
                                             get(x, "total_current_liabilities")),
    "fcf": lambda x, p, get: _first(get(x, "free_cash_flow"), lambda: sub(
        get(x, "operating_cash_flow"), get(x, "capital_expenditure"))),
    "ebitda_value": lambda x, p, get: _first(get(x, "ebitda"), lambda: add(
        get(x, "operating_income"), get(x, "depreciation_amortization"))),
    "shares": _shares,
    "market_cap": lambda x, p, get: mul(x.price(), _shares(x, p, get)),
}
_FORMULAS = {
    "ebit": "operating_income", "total_debt": "short_term_debt + long_term_debt",
    "cash_and_investments": "cash + short_term_investments",
    "working_capital": "total_current_assets - total_current_liabilities",
    "fcf": "free_cash_flow (else operating_cash_flow - capital_expenditure)",
    "ebitda_value": "ebitda (else operating_income + depreciation_amortization)",
    "shares": "shares_outstanding (else diluted weighted shares)",
    "market_cap": "price × shares",
}


def _first(value: Number | None, otherwise) -> Number | None:
    return value if value is not None else otherwise()


def _debt(short: Number | None, long: Number | None) -> Number | None:
    # A vendor that reports one of the two means the other is nil, not unknown.
    if short is None and long is None:
        return None
    return (short or 0) + (long or 0)
