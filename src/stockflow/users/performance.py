"""Portfolio arithmetic, pure: positions by average cost, realised and unrealised P&L, and a
daily time-weighted return from stored daily closes.

Method. Realised P&L uses the average-cost method: a sale realises quantity x (price - average
cost) minus its fee, and leaves the average cost of the rest unchanged; fees on buys join the
cost basis. The time-weighted return chains sub-periods that break at every transaction: just
before a trade the portfolio is valued with the traded ticker at its trade price (the others at
their last close), and the next sub-period runs from its value just after the trade to the next
trade or the day's close. The trade itself moves value only by its fee, cash spent without value
received, which counts as a loss on the capital in play (`trade_factor`). A sub-period that
starts with nothing invested contributes nothing, so a position closed to zero keeps the return
it earned and the days with no capital after it earn nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    ticker: str
    side: str            # "buy" or "sell"
    quantity: float
    price: float
    fee: float
    executed_at: datetime

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "ticker": self.ticker, "side": self.side,
                "quantity": self.quantity, "price": self.price, "fee": self.fee,
                "executed_at": self.executed_at.isoformat()}


class Oversold(ValueError):
    pass


@dataclass(slots=True)
class Position:
    quantity: float = 0.0
    cost: float = 0.0    # cost basis of the units held

    @property
    def average_cost(self) -> float:
        return self.cost / self.quantity if self.quantity > EPSILON else 0.0


class Book:
    """Positions and realised P&L, replaying transactions in time order."""

    def __init__(self) -> None:
        self.positions: dict[str, Position] = {}
        self.realised = 0.0

    def apply(self, tx: Transaction) -> float:
        """Apply one transaction; return its cash flow into the portfolio (buys > 0)."""
        pos = self.positions.setdefault(tx.ticker, Position())
        if tx.side == "buy":
            pos.quantity += tx.quantity
            pos.cost += tx.quantity * tx.price + tx.fee
            return tx.quantity * tx.price + tx.fee
        if tx.quantity > pos.quantity + EPSILON:
            raise Oversold(f"sells {tx.quantity:g} {tx.ticker} but holds {pos.quantity:g} "
                           f"on {tx.executed_at.date()}")
        average = pos.average_cost
        self.realised += tx.quantity * (tx.price - average) - tx.fee
        pos.quantity -= tx.quantity
        pos.cost = pos.quantity * average if pos.quantity > EPSILON else 0.0
        if pos.quantity <= EPSILON:
            pos.quantity = 0.0
        return -(tx.quantity * tx.price - tx.fee)

    def held(self) -> dict[str, Position]:
        return {t: p for t, p in self.positions.items() if p.quantity > EPSILON}


def replay(txs: Iterable[Transaction]) -> Book:
    book = Book()
    for tx in sorted(txs, key=lambda t: t.executed_at):
        book.apply(tx)
    return book


class Closes:
    """Daily closes per ticker, by day."""

    def __init__(self, closes: dict[str, list[tuple[date, float]]]) -> None:
        self._days = {t: [d for d, _ in rows] for t, rows in closes.items()}
        self._prices = {t: [p for _, p in rows] for t, rows in closes.items()}

    def at(self, ticker: str, day: date) -> float | None:
        """The close of exactly `day`, or None: an older close must not replace the price of a
        trade made since."""
        days = self._days.get(ticker, [])
        i = bisect_right(days, day)
        return self._prices[ticker][i - 1] if i and days[i - 1] == day else None

    def days(self) -> set[date]:
        return {d for days in self._days.values() for d in days}


def trade_factor(before: float, after: float, flow: float) -> float:
    """The growth of the capital in play across one trade, valued at the trade price.

    `before` and `after` are the portfolio's value just before and just after the trade, `flow`
    the cash put in (a buy: cost plus fee) or, negative, taken out (a sale: proceeds less fee).
    Only a fee moves value: a buy's factor is after / (before + flow), a sale's is
    (after - flow) / before, both about 1 - fee / capital. A trade with no capital before or
    after it (the buy that opens a portfolio is measured against its cash) is the whole capital.
    """
    if flow >= 0:
        base, grown = before + flow, after
    else:
        base, grown = before, after - flow
    if base <= EPSILON:
        return 1.0
    return max(grown, 0.0) / base


def performance(txs: list[Transaction], closes: Closes, end: date) -> dict[str, Any]:
    txs = sorted(txs, key=lambda t: t.executed_at)
    book = Book()
    mark: dict[str, float] = {}  # the latest known price of each ticker

    def value() -> float:
        return sum(p.quantity * mark.get(t, 0.0) for t, p in book.held().items())

    series: list[dict[str, Any]] = []
    # `start_value` is the value the current sub-period started from: the last close or the
    # value just after the last trade. A sub-period that starts with nothing invested (before
    # the first buy, after a full exit) has no return: its factor is 1, never 0 / 0.
    growth, start_value, i = 1.0, 0.0, 0
    first = txs[0].executed_at.date() if txs else end
    days = sorted({d for d in closes.days() if first <= d <= end}
                  | {t.executed_at.date() for t in txs if t.executed_at.date() <= end})
    for day in days:
        day_factor, net_flow = 1.0, 0.0
        while i < len(txs) and txs[i].executed_at.date() <= day:
            tx = txs[i]
            mark[tx.ticker] = tx.price
            before = value()
            if start_value > EPSILON:
                day_factor *= before / start_value
            flow = book.apply(tx)
            after = value()
            day_factor *= trade_factor(before, after, flow)
            net_flow += flow
            start_value = after
            i += 1
        for ticker in book.held():
            close = closes.at(ticker, day)
            if close is not None:
                mark[ticker] = close
        closing = value()
        if start_value > EPSILON:
            day_factor *= closing / start_value
        start_value = closing
        growth *= day_factor
        series.append({"date": day.isoformat(), "value": round(closing, 6),
                       "net_flow": round(net_flow, 6),
                       "return": round(day_factor - 1.0, 8),
                       "cumulative_return": round(growth - 1.0, 8)})
    positions = []
    for ticker, pos in sorted(book.held().items()):
        last = mark.get(ticker, 0.0)
        positions.append({"ticker": ticker, "quantity": pos.quantity,
                          "average_cost": round(pos.average_cost, 6),
                          "cost_basis": round(pos.cost, 6), "last_price": last,
                          "market_value": round(pos.quantity * last, 6),
                          "unrealised_pnl": round(pos.quantity * last - pos.cost, 6)})
    market_value = sum(p["market_value"] for p in positions)
    cost_basis = sum(p["cost_basis"] for p in positions)
    return {"as_of": end.isoformat(), "market_value": round(market_value, 6),
            "cost_basis": round(cost_basis, 6),
            "unrealised_pnl": round(market_value - cost_basis, 6),
            "realised_pnl": round(book.realised, 6),
            "time_weighted_return": round(growth - 1.0, 8),
            "positions": positions, "series": series}
