"""The batch route's query reading against parse_qsl, the reference FastAPI reads through."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from stockflow.market.api import _last_query_value

# Bytes that matter to a query string, and the rest of the latin-1 range now and then.
PIECES = st.sampled_from([b"tickers", b"=", b"&", b";", b"%", b"%2C", b"%20", b"+", b",",
                          b"NVDA", b"msft", b"btc/usd", b" ", b"tick", b"\xe9", b""])
QUERIES = st.one_of(
    st.lists(PIECES, max_size=12).map(b"".join),
    st.lists(PIECES, max_size=12).map(lambda parts: b"tickers=" + b"".join(parts)),
    st.binary(max_size=40),
)


def reference(query: bytes, name: str) -> str | None:
    value = None
    for key, item in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key == name:
            value = item
    return value


@given(QUERIES)
def test_the_batch_query_reads_as_parse_qsl_reads_it(query):
    assert _last_query_value(query, "tickers") == reference(query, "tickers")


def test_the_common_query_takes_the_short_way_and_the_rest_the_long_one():
    assert _last_query_value(b"tickers=NVDA,MSFT", "tickers") == "NVDA,MSFT"
    assert _last_query_value(b"tickers=NVDA&tickers=MSFT", "tickers") == "MSFT"
    assert _last_query_value(b"tickers=NV%44A", "tickers") == "NVDA"
    assert _last_query_value(b"tickers=NVDA+MSFT", "tickers") == "NVDA MSFT"
    assert _last_query_value(b"tickers=", "tickers") == ""
    assert _last_query_value(b"other=1", "tickers") is None
