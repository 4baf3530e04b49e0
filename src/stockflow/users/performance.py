"""Portfolio arithmetic, pure: positions by average cost, realised and unrealised P&L, and a
daily time-weighted return from stored daily closes.

Method. Realised P&L uses the average-cost method: a sale realises quantity x (price - average
cost) minus its fee, and leaves the average cost of the rest unchanged; fees on buys join the
cost basis. The daily return chains sub-periods around cash flows: buys count as flowing in at
the start of their day and sales as flowing out at its end, so day d returns
(V_d + out_d) / (V_{d-1} + in_d) - 1, and the time-weighted return is the product of (1 + r_d)
minus one. A day with nothing invested returns 0.
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
    """Daily closes per ticker, read as "the last close on or before a day"."""

    def __init__(self, closes: dict[str, list[tuple[date, float]]]) -> None:
        self._days = {t: [d for d, _ in rows] for t, rows in closes.items()}
        self._prices = {t: [p for _, p in rows] for t, rows in closes.items()}

    def on(self, ticker: str, day: date) -> float | None:
        days = self._days.get(ticker, [])
        i = bisect_right(days, day)
        return self._prices[ticker][i - 1] if i else None

    def days(self) -> set[date]:
        return {d for days in self._days.values() for d in days}


def performance(txs: list[Transaction], closes: Closes, end: date) -> dict[str, Any]:
    txs = sorted(txs, key=lambda t: t.executed_at)
    book = Book()
    last_trade: dict[str, float] = {}

    def price(ticker: str, day: date) -> float:
        # Before a ticker's first stored close, its own trade price is the best known value.
        close = closes.on(ticker, day)
        return close if close is not None else last_trade.get(ticker, 0.0)

    series: list[dict[str, Any]] = []
    growth, previous, i = 1.0, 0.0, 0
    start = txs[0].executed_at.date() if txs else end
    days = sorted({d for d in closes.days() if start <= d <= end}
                  | {t.executed_at.date() for t in txs if t.executed_at.date() <= end})
    for day in days:
        inflow = outflow = 0.0
        while i < len(txs) and txs[i].executed_at.date() <= day:
            flow = book.apply(txs[i])
            last_trade[txs[i].ticker] = txs[i].price
            inflow, outflow = inflow + max(flow, 0.0), outflow + max(-flow, 0.0)
            i += 1
        value = sum(p.quantity * price(t, day) for t, p in book.held().items())
        base = previous + inflow
        daily = (value + outflow) / base - 1.0 if base > EPSILON else 0.0
        growth *= 1.0 + daily
        series.append({"date": day.isoformat(), "value": round(value, 6),
                        "net_flow": round(inflow - outflow, 6), "return": round(daily, 8),
                        "cumulative_return": round(growth - 1.0, 8)})
        previous = value
    positions = []
    for ticker, pos in sorted(book.held().items()):
        last = price(ticker, end)
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
