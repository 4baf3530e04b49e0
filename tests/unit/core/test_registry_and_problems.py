"""Adapter lookup by URL scheme and the problem-details shape."""

import pytest

from stockflow.core import registry
from stockflow.core.pagination import decode_cursor, encode_cursor
from stockflow.core.problems import Problem, not_found


def test_known_schemes_resolve_lazily():
    from stockflow.adapters.bus.memory import make_bus

    assert registry.resolve("bus", "memory://") is make_bus
    assert registry.scheme_of("postgresql+asyncpg://u@h/db") == "postgresql"


def test_unknown_scheme_names_the_known_ones():
    with pytest.raises(registry.UnknownAdapterError, match="memory"):
        registry.resolve("bus", "carrier-pigeon://coop")


def test_problem_has_rfc9457_members():
    body = not_found("ticker", "ZZZZ").to_dict(instance="/v1/quotes/ZZZZ")
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    assert body["status"] == 404 and "ZZZZ" in body["detail"]


def test_cursor_round_trip_and_garbage_is_a_422():
    assert decode_cursor(encode_cursor({"offset": 7})) == {"offset": 7}
    with pytest.raises(Problem) as err:
        decode_cursor("%%%not-base64")
    assert err.value.status == 422
