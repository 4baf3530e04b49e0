"""Average-cost P&L and the daily time-weighted return, on hand-checked numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stockflow.users.performance import Closes, Oversold, Transaction, performance, replay


def tx(day: int, side: str, qty: float, price: float, fee: float = 0.0,
       ticker: str = "AAA") -> Transaction:
    return Transaction(id=f"{ticker}{day}{side}", ticker=ticker, side=side, quantity=qty,
                       price=price, fee=fee, executed_at=datetime(2025, 1, day, 15, tzinfo=UTC))


def closes(*prices: float, ticker: str = "AAA", first: int = 1) -> dict:
    return {ticker: [(date(2025, 1, first + i), p) for i, p in enumerate(prices)]}


def test_average_cost_realised_pnl_and_fees():
    book = replay([tx(1, "buy", 10, 100, fee=10), tx(2, "buy", 10, 120),
                   tx(3, "sell", 5, 130, fee=5)])
    pos = book.positions["AAA"]
    # Average cost (1000 + 10 + 1200) / 20 = 110.5; the sale realises 5 x 19.5 - 5.
    assert pos.quantity == 15 and pos.average_cost == pytest.approx(110.5)
    assert book.realised == pytest.approx(92.5)
    assert pos.cost == pytest.approx(15 * 110.5)


def test_selling_more_than_held_is_refused():
    with pytest.raises(Oversold):
        replay([tx(1, "buy", 1, 10), tx(2, "sell", 2, 10)])


def test_twr_ignores_the_size_of_cash_flows():
    # Price path 100 -> 110 -> 121: +10 % a day. Buying more on day 2 does not change the
    # time-weighted return (21 %), though the money-weighted gain would.
    txs = [tx(1, "buy", 1, 100), tx(2, "buy", 100, 110)]
    result = performance(txs, Closes(closes(100, 110, 121)), date(2025, 1, 3))
    assert result["time_weighted_return"] == pytest.approx(0.21)
    assert [s["value"] for s in result["series"]] == [100, 101 * 110, 101 * 121]
    assert result["market_value"] == pytest.approx(101 * 121)
    assert result["cost_basis"] == pytest.approx(100 + 100 * 110)
    assert result["unrealised_pnl"] == pytest.approx(101 * 121 - 11_100)
    assert result["series"][1]["net_flow"] == pytest.approx(11_000)


def test_a_sale_at_the_close_keeps_the_chain_and_realises_pnl():
    txs = [tx(1, "buy", 10, 100), tx(2, "sell", 10, 90)]
    result = performance(txs, Closes(closes(100, 90, 95)), date(2025, 1, 3))
    assert result["time_weighted_return"] == pytest.approx(-0.10)
    assert result["realised_pnl"] == pytest.approx(-100)
    assert result["market_value"] == 0 and result["positions"] == []
    assert result["series"][-1]["return"] == 0  # nothing invested on day 3


def test_first_day_return_counts_from_the_trade_price():
    # Bought at 100 intraday, closed at 105: day one already earns 5 %.
    result = performance([tx(1, "buy", 2, 100)], Closes(closes(105)), date(2025, 1, 1))
    assert result["time_weighted_return"] == pytest.approx(0.05)


def test_a_position_closed_to_zero_keeps_its_gain_and_later_days_earn_nothing():
    # Bought at 100, sold everything at 110 with a fee of 1 on 1,100 of proceeds.
    txs = [tx(1, "buy", 10, 100), tx(2, "sell", 10, 110, fee=1)]
    result = performance(txs, Closes(closes(100, 105, 107, 90)), date(2025, 1, 4))
    expected = 110 / 100 * (1099 / 1100) - 1
    assert result["time_weighted_return"] == pytest.approx(expected)
    assert [s["return"] for s in result["series"][2:]] == [0, 0]
    assert result["series"][1]["return"] == pytest.approx(110 / 100 * 1099 / 1100 - 1)


def test_reentry_after_a_full_exit_chains_on():
    txs = [tx(1, "buy", 1, 100), tx(2, "sell", 1, 110), tx(4, "buy", 2, 50)]
    result = performance(txs, Closes(closes(100, 110, 70, 50, 55)), date(2025, 1, 5))
    # +10 % to the exit, nothing while out (the 70 of day 3 is not ours), +10 % after re-entry.
    assert result["time_weighted_return"] == pytest.approx(1.1 * 1.1 - 1)
