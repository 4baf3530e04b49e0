"""Batch ticker parsing: normalising the whole list at once equals normalising each part."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stockflow.market.domain import normalise_ticker, normalise_tickers

PARTS = st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=8), max_size=8)


@given(PARTS)
def test_normalise_tickers_equals_normalising_each_part(parts):
    raw = ",".join(parts)
    assert normalise_tickers(raw) == [normalise_ticker(t) for t in raw.split(",") if t.strip()]


@given(st.text(alphabet=" ,/abcXYZ-.\t", max_size=30))
def test_normalise_tickers_on_separator_heavy_input(raw):
    assert normalise_tickers(raw) == [normalise_ticker(t) for t in raw.split(",") if t.strip()]


def test_examples():
    assert normalise_tickers(" aapl, btc/usd ,,NVDA") == ["AAPL", "BTC-USD", "NVDA"]
