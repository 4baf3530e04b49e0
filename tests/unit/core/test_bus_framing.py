"""The batch frame of the RabbitMQ bus: what goes in comes out, in order, and a body whose
frames do not add up is refused rather than misread."""

from __future__ import annotations

import pytest

from stockflow.adapters.bus.framing import FrameError, group, pack, unpack


def test_frames_round_trip_in_order_including_empty_and_binary_events() -> None:
    raws = [b'{"a":1}', b"", bytes(range(256)), b"x" * 70_000]
    assert unpack(pack(raws)) == raws
    assert unpack(b"") == []


@pytest.mark.parametrize("cut", [1, 3, 5, 10])
def test_a_truncated_body_is_refused(cut: int) -> None:
    body = pack([b"first event", b"second event"])
    with pytest.raises(FrameError):
        unpack(body[:-cut])


def test_a_plain_json_body_is_not_taken_for_a_batch() -> None:
    with pytest.raises(FrameError):
        unpack(b'{"id": "not a batch", "type": "x"}')


def test_groups_keep_order_and_respect_both_bounds() -> None:
    items = [(i, b"e" * size) for i, size in enumerate([10, 10, 10, 500, 10, 10, 10, 10, 10])]
    runs = list(group(items, max_bytes=100, max_events=3))
    assert [i for run in runs for i, _ in run] == list(range(9))
    assert [[i for i, _ in run] for run in runs] == [[0, 1, 2], [3], [4, 5, 6], [7, 8]]
    for run in runs:
        assert len(run) == 1 or len(pack(r for _, r in run)) <= 100


def test_one_event_per_group_when_batches_are_off() -> None:
    items = [(i, b"e") for i in range(4)]
    assert [len(run) for run in group(items, max_bytes=1 << 20, max_events=1)] == [1] * 4
