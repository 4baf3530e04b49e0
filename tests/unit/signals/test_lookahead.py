"""The look-ahead checks catch a strategy that reads the next bar (truncation) and one whose
values depend on how much history was loaded (warm-up); the built-ins pass both."""

from __future__ import annotations

import numpy as np
import pytest

from stockflow.core.problems import Problem
from stockflow.signals import lookahead, strategies
from stockflow.signals.domain import BUY, HOLD, SELL, Rule, Sentiment, Series, Track
from tests.unit.signals.support import walk


def peeking(s: Series) -> Track:
    """Buys today when tomorrow closes higher: the look-ahead bias the checks exist for."""
    tomorrow = np.concatenate((s.close[1:], [np.nan]))
    up = tomorrow > s.close
    action = np.where(up, BUY, SELL).astype(np.int8)
    return Track("peek", action, np.ones(len(s)), np.ones(len(s)),
                 [Rule("next close higher", up)], {"next_close": tomorrow})


def anchored(s: Series) -> Track:
    """Compares the close with the mean of all loaded history: depends on where data starts."""
    mean = np.cumsum(s.close) / np.arange(1, len(s) + 1)
    action = np.where(s.close > mean, BUY, SELL).astype(np.int8)
    return Track("anchored", action, np.ones(len(s)), np.ones(len(s)), [], {"mean": mean})


def test_a_strategy_reading_the_next_bar_fails_the_truncation_check():
    s = walk(300)
    result = lookahead.truncation(peeking, s, peeking(s), window=50, samples=5)
    assert result["passed"] is False
    assert "differs when the data ends" in result["detail"]


def test_a_history_anchored_strategy_fails_the_warmup_check():
    s = walk(400)
    full = anchored(s.cut(100))
    result = lookahead.warmup(anchored, s, extra=100, window=50, full=full)
    assert result["passed"] is False and result["extra_bars"] == 100
    # It does not read the future, so truncation alone would not catch it.
    assert lookahead.truncation(anchored, s.cut(100), full, 50, 5)["passed"] is True


@pytest.mark.parametrize("name", strategies.NAMES)
def test_every_built_in_strategy_passes_both_checks(name):
    s = walk(900, seed=11)
    fn = strategies.one(name)

    def run(x: Series) -> Track:
        return fn(x, Sentiment.empty())

    normal = s.cut(250)
    full = run(normal)
    assert lookahead.truncation(run, normal, full, window=250, samples=6)["passed"], name
    assert lookahead.warmup(run, s, extra=250, window=250, full=full)["passed"], name


def test_a_failed_check_is_a_422_naming_it():
    checks = {"truncation": {"passed": False, "detail": "action at bar 3 differs"},
              "warmup": {"passed": True}}
    with pytest.raises(Problem) as caught:
        lookahead.require(checks)
    assert caught.value.status == 422
    assert caught.value.extra["failed"] == ["truncation"]
    assert "truncation: action at bar 3 differs" in caught.value.detail
    lookahead.require({"truncation": {"passed": True}, "warmup": {"passed": True}})
    assert HOLD == 0
