"""The near-duplicate index's NumPy band tables against a plain dict-of-lists LSH, and their
growth, eviction, tombstones and slot collisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockflow.news.bandtable import WIDTH, BandTables, TableFull
from stockflow.news.neardup import Match, NearDuplicateIndex

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


class Reference:
    """The index as dicts of lists, one per band: slow and obviously right."""

    def __init__(self, index: NearDuplicateIndex) -> None:
        self.index = index
        self.buckets: list[dict[int, list[tuple]]] = [{} for _ in range(index.bands)]
        self.order: list[tuple] = []

    def add(self, item_id: str, story_id: str, sig: np.ndarray, at: datetime) -> None:
        entry = (item_id, story_id, at, sig.copy())
        for band, key in zip(self.buckets, self.index.band_keys(sig), strict=True):
            band.setdefault(key, []).append(entry)
        self.order.append(entry)
        while self.order and at - self.order[0][2] > self.index.window:
            old = self.order.pop(0)
            for band, key in zip(self.buckets, self.index.band_keys(old[3]), strict=True):
                band[key] = [e for e in band[key] if e is not old]
                if not band[key]:
                    del band[key]

    def query(self, sig: np.ndarray, at: datetime) -> Match | None:
        best, seen = None, set()
        for band, key in zip(self.buckets, self.index.band_keys(sig), strict=True):
            for entry in band.get(key, []):
                if id(entry) in seen or abs(entry[2] - at) > self.index.window:
                    continue
                seen.add(id(entry))
                similarity = float(np.count_nonzero(entry[3] == sig)) / self.index.num_perm
                if similarity >= self.index.threshold and (best is None
                                                           or similarity > best.similarity):
                    best = Match(entry[0], entry[1], similarity)
        return best


# Signatures over three values: band tuples repeat often, so buckets are shared, items are
# evicted from shared buckets, and ties in similarity decide by order.
_sig = st.lists(st.integers(0, 2), min_size=64, max_size=64).map(
    lambda v: np.array(v, dtype=np.uint32))
_op = st.one_of(
    st.tuples(st.just("add"), _sig, st.integers(-2, 6)),  # minutes after the previous item
    st.tuples(st.just("query"), _sig, st.integers(-15, 15)),  # minutes around the newest
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(_op, max_size=250), threshold=st.sampled_from([0.3, 0.5, 0.8]))
def test_index_answers_as_a_dict_of_lists_does(ops: list, threshold: float) -> None:
    index = NearDuplicateIndex(threshold=threshold, window=timedelta(minutes=10))
    reference = Reference(index)
    now, n = T0, 0
    for kind, sig, minutes in ops:
        if kind == "add":
            now += timedelta(minutes=minutes)
            index.add(f"a{n}", f"s{n % 7}", sig, now)
            reference.add(f"a{n}", f"s{n % 7}", sig, now)
            n += 1
            assert len(index) == len(reference.order)
        else:
            at = now + timedelta(minutes=minutes)
            assert index.query(sig, at) == reference.query(sig, at)
    for entry in reference.order:  # everything kept is still found
        assert index.query(entry[3], now) == reference.query(entry[3], now)


def test_growth_keeps_every_item_and_eviction_gives_memory_back() -> None:
    rng = np.random.default_rng(3)
    index = NearDuplicateIndex(window=timedelta(minutes=1))
    small = index.nbytes
    sigs = rng.integers(0, 2**32, size=(20_000, 64), dtype=np.uint32)
    for i, sig in enumerate(sigs):
        index.add(f"a{i}", f"s{i}", sig, T0)
    grown = index.nbytes
    assert len(index) == 20_000 and grown > 100 * small
    for i in range(0, 20_000, 997):
        match = index.query(sigs[i], T0)
        assert match is not None and match.item_id == f"a{i}" and match.similarity == 1.0
    index.add("late", "s", sigs[0], T0 + timedelta(minutes=2))  # the 20,000 leave the window
    assert len(index) == 1 and index.nbytes < grown / 100
    match = index.query(sigs[0], T0 + timedelta(minutes=2))
    assert match is not None and match.item_id == "late"


def test_steady_stream_memory_stays_bounded_by_the_window() -> None:
    rng = np.random.default_rng(4)
    index = NearDuplicateIndex(window=timedelta(minutes=999))
    sizes = []
    for i in range(12_000):  # 1,000 in the window at a time, 12 windows' worth in all
        index.add(f"a{i}", "s", rng.integers(0, 2**32, size=64, dtype=np.uint32),
                  T0 + timedelta(minutes=i))
        if i % 1000 == 999:
            sizes.append(index.nbytes)
    assert len(index) == 1000
    assert max(sizes[2:]) <= 2 * min(sizes[2:])  # tombstones are swept by the rebuilds


def _colliding(count: int, bits: int) -> np.ndarray:
    # Same top bits (same home slot in every band), different odd low bits.
    home = np.int64(3) << np.int64(64 - bits)
    return np.array([home | (2 * i + 1) for i in range(count)], dtype=np.int64)


def test_keys_sharing_a_home_slot_probe_on_and_tombstones_are_reused() -> None:
    tables = BandTables(bands=2, bits=5)
    keys = _colliding(WIDTH, 5)
    for pos, key in enumerate(keys):
        tables.insert(np.array([[key], [key]]), pos)
    for pos, key in enumerate(keys):
        assert tables.candidates(np.array([[key], [key]])) == [pos, pos]
    tables.remove(np.array([[keys[3]], [keys[3]]]), 3)
    assert tables.candidates(np.array([[keys[3]], [keys[3]]])) == []
    assert tables.candidates(np.array([[keys[9]], [keys[9]]])) == [9, 9]  # past the tombstone
    tables.insert(np.array([[keys[3]], [keys[3]]]), 40)
    assert tables.candidates(np.array([[keys[3]], [keys[3]]])) == [40, 40]
    with pytest.raises(TableFull):  # one more would lie WIDTH slots from home
        tables.insert(np.array([[_colliding(WIDTH + 1, 5)[-1]], [keys[0]]]), 41)
    assert tables.candidates(np.array([[keys[0]], [keys[0]]])) == [0, 0]  # nothing written


def test_items_sharing_a_key_keep_their_order_through_removal_and_rebuild() -> None:
    tables = BandTables(bands=1, bits=5)
    key = np.array([[7]])
    for pos in (4, 5, 6):
        tables.insert(key, pos)
    assert tables.candidates(key) == [4, 5, 6]
    tables.remove(key, 5)
    assert tables.candidates(key) == [4, 6]
    tables.remove(key, 4)
    assert tables.candidates(key) == [6]
    rebuilt = BandTables.build(np.array([[7], [9], [7], [7]]))
    assert rebuilt.candidates(key) == [0, 2, 3] and rebuilt.candidates(np.array([[9]])) == [1]


def test_a_build_that_would_probe_too_far_grows_instead() -> None:
    # 48 keys alike in their top 13 bits: at 8 bits (where a build of 48 starts) they share a home.
    keys = np.array([(3 << 59) | (i << 50) | 1 for i in range(3 * WIDTH)], dtype=np.int64)
    keys = keys.reshape(-1, 1)
    tables = BandTables.build(keys)
    assert tables.bits > 8
    assert [tables.candidates(k.reshape(1, 1)) for k in keys] == [[i] for i in range(len(keys))]
