"""The Tantivy folder's writer lease: held for a burst of writes, given back when idle or held
too long, and a second writer waits for it (then fails clearly) instead of failing at once."""

from __future__ import annotations

import threading
import time

import pytest
import tantivy

from stockflow.adapters.search.tantivy_writer import IndexLocked, WriterLease


def _index(path) -> tantivy.Index:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("k", stored=True, tokenizer_name="raw")
    return tantivy.Index(sb.build(), path=str(path), reuse=True)


def _lease(path, **options) -> tuple[WriterLease, list[int]]:
    taken: list[int] = []
    settings = {"heap_bytes": 15_000_000, "threads": 1, "idle_seconds": 60.0,
                "lock_wait_seconds": 5.0, **options}
    return WriterLease(_index(path), on_acquire=lambda: taken.append(1), **settings), taken


def test_a_second_writer_waits_for_the_lease_then_fails_clearly(tmp_path):
    first, _ = _lease(tmp_path)
    second, taken = _lease(tmp_path, lock_wait_seconds=0.3)
    first.acquire()
    with pytest.raises(IndexLocked, match="held by another writer"):
        second.acquire()
    assert taken == [] and not second.held
    first.release()
    second.acquire().commit()
    assert taken == [1] and second.held
    second.release()


def test_the_lease_is_given_back_when_idle_and_after_its_longest_hold(tmp_path):
    lease, taken = _lease(tmp_path, idle_seconds=0.2, max_hold_seconds=0.5, yield_seconds=0.3)
    lease.acquire()
    lease.release_if_due()
    assert lease.held                                   # just used: kept
    time.sleep(0.25)
    lease.release_if_due()
    assert not lease.held                               # idle: given back
    lease.acquire()
    started, writes = time.monotonic(), 0
    while lease.held:                                   # steady writes, never idle
        time.sleep(0.05)
        lease.acquire()
        writes += 1
        lease.release_if_due()
    assert time.monotonic() - started >= 0.5 and writes >= 5  # held too long: given back
    order: list[str] = []
    other, _ = _lease(tmp_path, lock_wait_seconds=5.0)

    def wait_for_the_folder() -> None:
        other.acquire()
        order.append("other")
        time.sleep(0.1)
        other.release()

    waiter = threading.Thread(target=wait_for_the_folder)
    waiter.start()
    lease.acquire()      # waits its yield first: the writer that was waiting goes first
    order.append("holder")
    waiter.join(timeout=5)
    assert order == ["other", "holder"]
    assert taken == [1, 1, 1]
    lease.release()
