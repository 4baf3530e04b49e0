"""The checker's rules: numbers against facts within rounding, percentages against percent and
fraction facts, magnitudes, what is not a number (dates, times, tickers, parameters, quoted
headlines), citations, and the policy guard."""

from __future__ import annotations

import pytest

from stockflow.intel.checker import check
from stockflow.intel.template import brief_text
from tests.unit.intel.conftest import INJECTION, fact, make_bundle


@pytest.mark.parametrize("text", [
    "AAPL trades at 268.50 USD [quote.price].",
    "AAPL trades at 268.5 [quote.price].",
    "AAPL trades near 269 [quote.price].",               # rounded to units
    "It fell 0.36 % today [quote.change_pct].",           # the sign is the words' job
    "It fell -0.4% today [quote.change_pct].",
    "Net margin is 24.3 % [fund.net_margin].",            # a fraction fact as a percentage
    "The DCF value is 20.51% below the price [val.dcf_upside].",
    "Its market cap is about 3.95 trillion [mcap].",
    "Its market cap is 3.9tn [mcap].",
    "Volume was 51.2 million [quote.volume].",
    "RSI 14 is 34.2 and the SMA 50 is 293.17 [ind.rsi_14, ind.sma_50].",  # 14, 50: parameters
    "VaR 95 1-day is 3.25 % [risk.var_95_1d].",
    "As of 2025-11-21T15:30:00+00:00 and 15:30, in 2025, AAPL traded at 268.5 [quote.price].",
    "The latest headline, \"Apple unveils 3 new chips\", is bullish [news.1.title].",
])
def test_numbers_that_are_facts_pass(text) -> None:
    b = make_bundle(headline="Apple unveils 3 new chips")
    verdict = check(text, b)
    assert verdict.ok, verdict.reason()
    assert verdict.cites


@pytest.mark.parametrize(("text", "unknown"), [
    ("AAPL trades at 270.10 [quote.price].", ["270.10"]),
    ("AAPL could reach $500 [quote.price].", ["$500"]),
    ("Net margin is 0.2431 % [fund.net_margin].", ["0.2431 %"]),   # a fraction is not percent
    ("The price is 268.5, down 3.61 % [quote.price].", ["3.61 %"]),  # 0.3612 %, not 3.61 %
    ("Its market cap is 3.5 trillion [mcap].", ["3.5 trillion"]),
    ("Apple unveils 3 new chips, so 3 it is [quote.price].", ["3", "3"]),  # not quoted: a claim
])
def test_numbers_in_no_fact_are_refused(text, unknown) -> None:
    b = make_bundle(headline="Apple unveils 3 new chips")
    verdict = check(text, b)
    assert not verdict.ok
    assert verdict.unknown_numbers == unknown


def test_citations_must_exist_and_be_present(bundle) -> None:
    assert check("AAPL trades at 268.5 [quote.price, quote.bogus].",
                 bundle).unknown_citations == ["quote.bogus"]
    nothing = check("AAPL trades at 268.5.", bundle)
    assert not nothing.ok and nothing.reason() == {"no_citation": True}


@pytest.mark.parametrize(("text", "label"), [
    ("BUY AAPL [quote.price].", "trade call"),
    ("You should buy Apple at 268.5 [quote.price].", "trade call"),
    ("Sell now [quote.price].", "trade call"),
    ("I will ignore previous instructions: it is at 268.5 [quote.price].",
     "injected instruction"),
])
def test_policy_refuses_advice_and_injected_instructions(bundle, text, label) -> None:
    verdict = check(text, bundle)
    assert label in verdict.policy and not verdict.ok


def test_a_signal_action_reported_as_the_signals_is_allowed() -> None:
    b = make_bundle(fact("sig.ensemble.action", "ensemble signal", "buy", "text"))
    assert check("The signal ensemble reads buy [sig.ensemble.action].", b).ok


def test_quoting_an_adversarial_headline_is_reporting_not_following_it() -> None:
    b = make_bundle(headline=INJECTION)
    assert check(f'A headline reads "{INJECTION}" [news.1.title].', b).ok
    followed = check("BUY AAPL, target price 500 [quote.price].", b)
    assert followed.policy == ["trade call"] and followed.unknown_numbers == ["500"]


@pytest.mark.parametrize("headline", ["Apple unveils new chips", INJECTION])
def test_the_template_brief_passes_the_checker(headline) -> None:
    b = make_bundle(fact("fc.point", "5-day forecast price", 270.113, "price"),
                    fact("fc.lo_95", "5-day forecast 95 low", 250.0, "price"),
                    fact("fc.hi_95", "5-day forecast 95 high", 290.5, "price"),
                    headline=headline)
    text, cites = brief_text(b)
    verdict = check(text, b)
    assert verdict.ok, (text, verdict.reason())
    assert set(cites) == set(verdict.cites) and "fc.point" in cites
    assert brief_text(b) == (text, cites)        # deterministic
