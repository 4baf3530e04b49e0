"""A half-open probe's slot is given back on every path out of a call, even when the answer is
malformed in a way the checks trip over (issue: a non-Quote item in a batch used to raise before
the verdict, and the vendor stayed shut out for the life of the process)."""

from __future__ import annotations

from datetime import UTC, datetime

from stockflow.core.resilience import CircuitBreaker
from stockflow.market.domain import Quote
from stockflow.market.failover import ChainExhausted, ProviderChain
from stockflow.testing.fakes import FakeClock

NOW = datetime(2025, 11, 21, 15, 30, tzinfo=UTC)


def quote(ticker: str, price: float = 100.0) -> Quote:
    return Quote(ticker=ticker, time=NOW, price=price, bid=price - 0.01, ask=price + 0.01,
                 bid_size=1, ask_size=1, volume=10, open=price, high=price, low=price,
                 prev_close=price, provider="flaky")


class Flaky:
    name = "flaky"

    def __init__(self) -> None:
        self.answer: list = []
        self.fail = True

    def supports(self, ticker: str) -> bool:
        return True

    async def quotes(self, tickers, at=None):
        if self.fail:
            raise ConnectionError("down")
        return self.answer


async def test_a_malformed_probe_answer_releases_the_probe_and_counts_as_a_failure():
    clock, vendor = FakeClock(NOW), Flaky()
    breaker = CircuitBreaker("t:flaky", failure_threshold=1, reset_timeout=30, clock=clock)
    chain = ProviderChain("t", [vendor], breakers={"flaky": breaker}, clock=clock)
    for _ in range(2):
        try:
            await chain.quotes(["AAPL"])
        except ChainExhausted:
            pass
    assert breaker.state == "open"
    clock.advance(31)
    vendor.fail = False
    vendor.answer = [{"ticker": "AAPL", "price": 1.0}]  # not a Quote: the probe's answer
    try:
        await chain.quotes(["AAPL"])
    except ChainExhausted as e:
        assert "not a quote" in e.errors["flaky"]
    assert breaker.state == "open"  # the malformed probe reopened it ...
    clock.advance(31)
    vendor.answer = [quote("AAPL")]
    assert [q.ticker for q in await chain.quotes(["AAPL"])] == ["AAPL"]  # ... and a new probe
    assert breaker.state == "closed"                                   # could go out


async def test_a_check_that_raises_settles_the_probe_too():
    clock, vendor = FakeClock(NOW), Flaky()
    breaker = CircuitBreaker("t:flaky", failure_threshold=1, reset_timeout=30, clock=clock)
    chain = ProviderChain("t", [vendor], breakers={"flaky": breaker}, clock=clock)

    async def call(p):
        return object()

    def explode(p, answer):
        raise KeyError("a field the check expected")

    await breaker.record_failure(False)
    clock.advance(31)
    try:
        await chain.run("custom", lambda p: True, call, explode)
    except ChainExhausted as e:
        assert "malformed answer" in e.errors["flaky"]
    clock.advance(31)
    assert await breaker.before_call() is True  # the slot is free for the next probe
