"""The envelope's meta bytes: the same JSON as `meta()`, rebuilt when the millisecond changes."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from stockflow.core import envelope
from stockflow.core.envelope import _MetaFragment, envelope_bytes, meta


def test_meta_fragment_matches_meta_for_the_same_millisecond(monkeypatch):
    at = datetime(2026, 11, 22, 7, 50, 13, 60_999, tzinfo=UTC)
    ns = int(at.timestamp()) * 1_000_000_000 + at.microsecond * 1000
    monkeypatch.setattr(envelope.time, "time_ns", lambda: ns)
    fragment = _MetaFragment()
    assert orjson.loads(fragment()) == {"timestamp": "2026-11-22T07:50:13.060+00:00",
                                        "version": "v1"}
    assert set(orjson.loads(fragment())) == set(meta())


def test_meta_fragment_is_rebuilt_each_millisecond(monkeypatch):
    now = [1_700_000_000_000_000_000]
    monkeypatch.setattr(envelope.time, "time_ns", lambda: now[0])
    fragment = _MetaFragment()
    first = fragment()
    now[0] += 999_999  # same millisecond
    assert fragment() is first
    now[0] += 1
    assert orjson.loads(fragment())["timestamp"].endswith(".001+00:00")


def test_envelope_splices_data_and_meta():
    body = orjson.loads(envelope_bytes(b'[{"a":1}]'))
    assert body["data"] == [{"a": 1}] and body["meta"]["version"] == "v1"
    paged = orjson.loads(envelope_bytes(b"[]", has_more=False, next_cursor=None))
    assert paged["meta"]["has_more"] is False and "next_cursor" in paged["meta"]
