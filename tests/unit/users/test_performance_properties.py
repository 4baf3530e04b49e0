"""Property test of the time-weighted return: random buys, partial and full sales, fees, gaps in
the closes and re-entries never raise, always give finite figures, and agree with a unit-value
(fund accounting) computation written here independently of users/performance.py."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockflow.users.performance import Closes, Transaction, performance

TICKERS = ("AAA", "BBB")
FIRST = date(2025, 3, 3)
DAYS = 25

price = st.floats(min_value=1.0, max_value=1000.0, allow_nan=False, allow_infinity=False)
# One op: (day offset, hour, ticker, buy?, size, price, fee rate). A sale's size is a share of
# what is held (1.0 sells everything); a buy's is a quantity.
op = st.tuples(st.integers(0, DAYS - 1), st.integers(0, 23), st.sampled_from(TICKERS),
               st.booleans(), st.sampled_from([0.25, 0.5, 1.0, 1.0, 3.0, 10.0]), price,
               st.sampled_from([0.0, 0.0, 0.001, 0.01, 0.05]))
# Closes per ticker and day; None is a day without a close (a holiday, a gap in the data).
close_rows = st.lists(st.one_of(st.none(), price), min_size=DAYS, max_size=DAYS)


def build(ops, ) -> list[Transaction]:
    """Turn drawn ops into a valid sequence: sales sell a share of what is held, never more."""
    held = dict.fromkeys(TICKERS, 0.0)
    out = []
    for n, (day, hour, ticker, buy, size, px, fee_rate) in enumerate(sorted(ops)):
        if buy:
            qty = size
        elif held[ticker] > 0:
            qty = held[ticker] if size >= 1.0 else held[ticker] * size
        else:
            continue
        held[ticker] += qty if buy else -qty
        if not buy and size >= 1.0:
            held[ticker] = 0.0
        at = datetime.combine(FIRST + timedelta(days=day), datetime.min.time(), UTC)
        out.append(Transaction(id=f"t{n}", ticker=ticker, side="buy" if buy else "sell",
                               quantity=qty, price=px, fee=round(qty * px * fee_rate, 6),
                               executed_at=at + timedelta(hours=hour, seconds=n)))
    return out


def unit_value_twr(txs: list[Transaction], closes: dict[str, list[tuple[date, float]]],
                   end: date) -> float:
    """The TWR as a fund would state it: cash in buys units at the unit value, cash out redeems
    them, a fee is charged to the fund; the return is the unit value's growth."""
    by_day = {t: dict(rows) for t, rows in closes.items()}
    qty = dict.fromkeys(TICKERS, 0.0)
    mark: dict[str, float] = {}
    units, nav = 0.0, 1.0

    def worth() -> float:
        return sum(q * mark[t] for t, q in qty.items() if q > 1e-9)

    first = min(t.executed_at.date() for t in txs)
    day = first
    while day <= end:
        for t in (t for t in txs if t.executed_at.date() == day):
            mark[t.ticker] = t.price
            if units > 0:
                nav = worth() / units
            gross = t.quantity * t.price
            if t.side == "buy":
                units += (gross + t.fee) / nav
                qty[t.ticker] += t.quantity
            else:
                nav = (worth() - t.fee) / units  # the fee is charged, then the sale redeemed
                units -= (gross - t.fee) / nav
                qty[t.ticker] -= t.quantity
            if all(q <= 1e-9 for q in qty.values()):
                units = 0.0
            elif units > 0:
                nav = worth() / units
        for ticker in TICKERS:
            if qty[ticker] > 1e-9 and day in by_day.get(ticker, {}):
                mark[ticker] = by_day[ticker][day]
        if units > 0:
            nav = worth() / units
        day += timedelta(days=1)
    return nav - 1.0


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(op, min_size=1, max_size=30), a=close_rows, b=close_rows,
       end_offset=st.integers(0, DAYS + 5))
def test_twr_is_finite_and_equals_the_unit_value_return(ops, a, b, end_offset):
    txs = build(ops)
    if not txs:
        return
    closes = {t: [(FIRST + timedelta(days=i), p) for i, p in enumerate(rows) if p is not None]
              for t, rows in zip(TICKERS, (a, b), strict=True)}
    end = FIRST + timedelta(days=end_offset)
    result = performance(txs, Closes(closes), end)
    orjson.dumps(result)  # serialisable: no NaN or infinity anywhere
    for key in ("market_value", "cost_basis", "unrealised_pnl", "realised_pnl",
                "time_weighted_return"):
        assert math.isfinite(result[key]), key
    assert all(math.isfinite(s["return"]) for s in result["series"])
    if txs[0].executed_at.date() > end:
        assert result["time_weighted_return"] == 0
        return
    expected = unit_value_twr(txs, closes, end)
    assert result["time_weighted_return"] == pytest.approx(expected, rel=1e-6, abs=1e-7)
    # The daily returns chain to the total, within what rounding each to 8 decimals allows
    # (a factor near zero, a price collapsing to 1 and recovering, magnifies it).
    factors = [1 + s["return"] for s in result["series"]]
    chained = math.prod(factors) - 1
    slack = sum(5e-9 / f for f in factors if f > 0) * abs(chained + 1) + 1e-8
    if all(f > 0 for f in factors):
        assert chained == pytest.approx(result["time_weighted_return"], abs=slack)
