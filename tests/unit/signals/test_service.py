"""Backtests through the service: every run is checked, a peeking or history-anchored strategy
is refused with a 422 naming the failed check, and the multi-asset weightings hold."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from stockflow.core.problems import Problem
from stockflow.signals.config import SignalsSettings
from stockflow.signals.domain import Sentiment
from stockflow.signals.service import Plan, SignalService, sizing
from stockflow.testing.fakes import FakeClock
from tests.unit.signals.support import MemoryMarket, walk
from tests.unit.signals.test_lookahead import anchored, peeking

NOW = datetime(2027, 1, 1, tzinfo=UTC)
START = datetime(2025, 6, 1, tzinfo=UTC)   # 500+ bars in: room for both warm-ups


class NoNews:
    async def between(self, *_):
        return Sentiment.empty()


def service(**tickers: int) -> SignalService:
    return SignalService(MemoryMarket(tickers or {"AAA": 1000}), NoNews(), None,
                         SignalsSettings(), FakeClock(NOW))


async def refusal(svc: SignalService, plan: Plan) -> Problem:
    with pytest.raises(Problem) as caught:
        await svc.backtest(plan, ["AAA"], START, None)
    assert caught.value.status == 422
    return caught.value


async def test_a_strategy_that_peeks_at_the_next_bar_is_refused_by_truncation():
    p = await refusal(service(), Plan("peek", "1d", lambda s, _news: peeking(s)))
    assert p.extra["failed"] == ["truncation"]
    assert "truncation" in p.detail and "differs when the data ends" in p.detail
    assert p.extra["checks"]["warmup"]["passed"] is True


async def test_a_strategy_anchored_to_the_loaded_history_is_refused_by_warmup():
    p = await refusal(service(), Plan("anchored", "1d", lambda s, _news: anchored(s)))
    assert p.extra["failed"] == ["warmup"]
    assert "more bars of history are loaded" in p.detail


async def test_a_built_in_backtest_passes_both_checks_with_older_history_loaded():
    svc = service()
    out = await svc.backtest(svc.builtin("momentum"), ["AAA"], START, None)
    checks = out["checks"]["AAA"]
    assert checks["truncation"]["passed"] and checks["warmup"]["passed"]
    assert checks["warmup"]["extra_bars"] == SignalsSettings().warmup_check_bars
    assert out["start"] >= START.isoformat()


async def test_equal_and_signal_weighting_of_many_tickers():
    svc = service(AAA=900, BBB=900, CCC=900)
    plan = svc.builtin("trend")
    equal = await svc.backtest(plan, ["AAA", "BBB", "CCC"], START, None)
    signal = await svc.backtest(plan, ["AAA", "BBB", "CCC"], START, None, weighting="signal")
    # Same buy-and-hold; signal weighting puts the whole book in what is held, so it is never
    # less exposed than equal slots.
    assert equal["metrics"]["buy_and_hold"] == signal["metrics"]["buy_and_hold"]
    assert signal["metrics"]["strategy"]["exposure"] == equal["metrics"]["strategy"]["exposure"]
    assert abs(signal["metrics"]["strategy"]["volatility"]) >= \
        abs(equal["metrics"]["strategy"]["volatility"])


async def test_unknown_strategy_and_too_many_tickers_are_422():
    svc = service()
    with pytest.raises(Problem) as caught:
        svc.builtin("astrology")
    assert caught.value.status == 422 and "trend" in caught.value.detail
    with pytest.raises(Problem) as caught:
        await svc.backtest(svc.builtin("trend"), [f"T{i}" for i in range(30)], START, None)
    assert caught.value.status == 422 and "1 to 20 tickers" in caught.value.detail


def test_volatility_target_sizing_scales_down_a_volatile_series():
    calm, wild = walk(300, vol=0.005), walk(300, vol=0.03)
    spec = {"type": "volatility_target", "target": 0.10, "lookback": 20}
    f_calm, f_wild = sizing(spec, calm)[50:], sizing(spec, wild)[50:]
    assert (f_calm <= 1).all() and (f_wild <= 1).all()
    assert np.median(f_wild) < np.median(f_calm)
    # 3 % daily ≈ 48 % a year: a 10 % target holds about a fifth.
    assert np.median(f_wild) == pytest.approx(0.10 / (0.03 * np.sqrt(252)), rel=0.25)
    assert (sizing({"type": "fixed", "fraction": 0.4}, calm) == 0.4).all()
