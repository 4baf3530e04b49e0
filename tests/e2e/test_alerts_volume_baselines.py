"""volume_spike rules against the real market's daily bars: the baseline loop reads the average
volume of the last complete sessions, the rule fires on a session volume past its multiple, a
baseline is recomputed once a day, and a ticker without bars keeps its rules silent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stockflow.alerts.baselines import VolumeBaselines
from stockflow.alerts.conditions import parse_condition
from stockflow.alerts.domain import AlertRule
from stockflow.alerts.evaluator import AlertEvaluator
from stockflow.alerts.ports import InMemoryAlertStateStore
from stockflow.market.domain import Interval
from stockflow.market.ports import MarketReader
from stockflow.testing.fakes import FakeClock
from tests.conftest import MARKET_TIME

pytestmark = pytest.mark.asyncio(loop_scope="session")


def spike(rule_id: str, ticker: str, multiple: float, days: int) -> AlertRule:
    return AlertRule(id=rule_id, user_id="u1", created_at=MARKET_TIME, updated_at=MARKET_TIME,
                     condition=parse_condition({"type": "volume_spike", "ticker": ticker,
                                                "multiple": multiple, "lookback_days": days}))


async def test_baseline_is_the_mean_of_the_last_complete_sessions_and_the_rule_fires(market_app):
    container, _ = market_app
    market = container.port(MarketReader)
    midnight = MARKET_TIME.replace(hour=0, minute=0, second=0, microsecond=0)
    stored = await market.bars("AAPL", Interval.D1, None, None, 100_000)
    complete = [b.volume for b in stored if b.time < midnight][-20:]
    assert len(complete) == 20, "the simulated market stores at least a month of daily bars"
    expected = sum(complete) / 20

    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules([spike("v1", "AAPL", 3, 20)])
    baselines = VolumeBaselines(ev, market, FakeClock(MARKET_TIME))
    assert await baselines.refresh() == 1
    assert ev._baselines[("AAPL", 20)] == pytest.approx(expected)

    # Below three times the average: nothing; past it: the rule fires (a crossing, so the
    # first quote only arms it).
    assert await ev.on_quote("AAPL", 190.0, 1.0 * expected, "q1", MARKET_TIME) == []
    assert await ev.on_quote("AAPL", 190.0, 2.9 * expected, "q2", MARKET_TIME) == []
    fired = await ev.on_quote("AAPL", 190.0, 3.1 * expected, "q3", MARKET_TIME)
    assert [f.rule_id for f in fired] == ["v1"]


async def test_a_baseline_is_read_once_a_day_and_an_unknown_ticker_stays_silent(market_app):
    container, _ = market_app
    reads: list[str] = []
    market = container.port(MarketReader)

    class Counting:
        async def bars(self, ticker, *args, **kwargs):
            reads.append(ticker)
            return await market.bars(ticker, *args, **kwargs)

    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules([spike("v1", "MSFT", 2, 5), spike("v2", "NOSUCH", 2, 5)])
    clock = FakeClock(MARKET_TIME)
    baselines = VolumeBaselines(ev, Counting(), clock)   # type: ignore[arg-type]
    assert await baselines.refresh() == 1               # MSFT; NOSUCH has no bars
    assert ("NOSUCH", 5) not in ev._baselines
    assert await ev.on_quote("NOSUCH", 10.0, 1e12, "q1", MARKET_TIME) == []
    assert await baselines.refresh() == 0 and sorted(reads) == ["MSFT", "NOSUCH"]
    # A rule added later is read on the next pass; a ticker without bars again after ten
    # minutes (it may not have been backfilled yet); the next day every pair is read again.
    await ev.add_rules([spike("v3", "NVDA", 2, 10)])
    assert await baselines.refresh() == 1 and reads[-1] == "NVDA"
    clock.advance(11 * 60)
    assert await baselines.refresh() == 0 and reads[-1] == "NOSUCH" and len(reads) == 4
    clock.advance(timedelta(days=1).total_seconds())
    await baselines.refresh()
    assert sorted(reads[4:]) == ["MSFT", "NOSUCH", "NVDA"]
