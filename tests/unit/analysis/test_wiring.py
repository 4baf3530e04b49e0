"""Which fundamentals sources settings switch on, in which order, with which token buckets."""

from __future__ import annotations

import pytest

from stockflow.analysis.wiring import build_chain
from stockflow.settings import Settings
from stockflow.testing.fakes import FakeClock


def _chain(**analysis):
    return build_chain(Settings(analysis=analysis), FakeClock())


def test_offline_default_is_the_simulation_alone() -> None:
    chain = _chain()
    assert [m.name for m in chain.providers] == ["simulated"]
    assert chain.supports("AAPL") and not chain.supports("SPY")


def test_sources_follow_the_settings_order_and_need_their_key_or_contact() -> None:
    chain = _chain(sources=["simulated", "alphavantage", "sec", "polygon", "yahoo"],
                   alphavantage={"enabled": True, "api_key": "K"},
                   polygon={"enabled": True},                     # no key: left out
                   sec={"enabled": True, "user_agent": "StockFlow ops@example.com"},
                   yahoo={"enabled": True})
    assert [m.name for m in chain.providers] == ["simulated", "alphavantage", "sec", "yahoo"]
    assert chain.limiters["sec"].rate == 10 and chain.limiters["alphavantage"].capacity == 5
    assert "simulated" not in chain.limiters


def test_sec_without_a_user_agent_is_left_out() -> None:
    chain = _chain(sources=["sec", "simulated"], sec={"enabled": True})
    assert [m.name for m in chain.providers] == ["simulated"]


def test_no_source_on_is_no_chain_and_an_unknown_name_is_refused() -> None:
    assert _chain(simulated=False) is None
    with pytest.raises(ValueError, match="unknown fundamentals source 'bloomberg'"):
        _chain(sources=["bloomberg"])


async def test_with_every_source_off_an_equity_is_a_404_saying_why(tmp_path) -> None:
    from datetime import UTC, datetime

    from stockflow.analysis.errors import NoFundamentals
    from stockflow.analysis.ports import InMemoryStatementStore, NoSource
    from stockflow.analysis.service import AnalysisService
    from stockflow.testing.simulated_market import simulated_market_store

    now = datetime(2026, 1, 2, 23, tzinfo=UTC)
    db, market = await simulated_market_store(tmp_path / "m.db", now, [], 0)
    try:
        analysis = AnalysisService(InMemoryStatementStore(), NoSource(), market, FakeClock(now))
        with pytest.raises(NoFundamentals) as caught:
            await analysis.statements("AAPL")
        assert caught.value.status == 404 and "no fundamentals source" in caught.value.detail
    finally:
        await db.close()
