"""`eventually`: returns the first truthy value of a plain or async predicate, or fails by its
deadline saying what it waited for and what it saw last."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from stockflow.testing.eventually import NotInTime, eventually, eventually_sync


def counting_up_to(n: int):
    calls = itertools.count(1)
    return lambda: [k] if (k := next(calls)) >= n else []


async def test_returns_the_first_truthy_value_of_a_plain_predicate():
    assert await eventually(counting_up_to(3), interval=0) == [3]


async def test_awaits_an_async_predicate():
    seen = []

    async def grows():
        seen.append(1)
        return len(seen) == 4

    assert await eventually(grows, interval=0) is True
    assert len(seen) == 4


async def test_fails_by_its_deadline_naming_the_wait_and_the_last_value():
    with pytest.raises(NotInTime, match=r"^queue drained not met within 0.05 s; last seen: 0$"):
        await eventually(lambda: 0, timeout=0.05, message="queue drained")


async def test_an_async_predicate_that_hangs_is_cut_by_the_deadline():
    with pytest.raises(NotInTime, match=r"^condition not met within 0.05 s$"):
        await eventually(asyncio.Event().wait, timeout=0.05)


async def test_ignored_errors_mean_not_yet_and_other_errors_fail_at_once():
    attempts = itertools.count(1)

    def flaky():
        if next(attempts) < 3:
            raise ConnectionError("refused")
        return "up"

    assert await eventually(flaky, interval=0, ignore=(ConnectionError,)) == "up"
    with pytest.raises(NotInTime, match=r"last seen: ConnectionError\('refused'\)"):
        await eventually(_refuse, timeout=0.05,
                         ignore=(ConnectionError,))
    with pytest.raises(KeyError):
        await eventually(lambda: {}["missing"], ignore=(ConnectionError,))


def _refuse():
    raise ConnectionError("refused")


def test_sync_variant_returns_the_value_or_fails_by_its_deadline():
    assert eventually_sync(counting_up_to(2), interval=0) == [2]
    with pytest.raises(NotInTime, match=r"^port open not met within 0.05 s; last seen: False$"):
        eventually_sync(lambda: False, timeout=0.05, interval=0.01, message="port open")
