"""The denylist on its own: by id, by session, by "not before" to the millisecond, pruned when
nothing it refuses can still live, waking watchers, and a 503 when it cannot be shared."""

from __future__ import annotations

import asyncio

import pytest

from stockflow.adapters.cache.memory import MemoryCache
from stockflow.adapters.pubsub.memory import MemoryPubSub
from stockflow.core.principal import Principal
from stockflow.core.problems import Problem
from stockflow.users.revocation import Revocations


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def principal(token: str = "t1", session: str = "s1", issued: float = 1000.0,
              expires: float = 1900.0) -> Principal:
    return Principal(subject="u1", tier="pro", permissions=frozenset(), token_id=token,
                     session_id=session, issued_at=issued, expires_at=expires)


def revocations(clock: Clock, cache=None) -> Revocations:
    return Revocations(cache=cache or MemoryCache(), pubsub=MemoryPubSub(), lifetime=930,
                       now=clock)


async def test_by_token_and_by_session():
    clock = Clock(1000.5)
    denylist = revocations(clock)
    await denylist.revoke(principal())
    assert denylist.refusal(principal()) == "token has been revoked"
    # Another token of the same session goes too; one of another session does not.
    assert denylist.refusal(principal(token="t2")) == "token has been revoked"
    assert denylist.refusal(principal(token="t3", session="s2")) is None


async def test_not_before_tells_tokens_apart_within_one_second():
    clock = Clock(1000.500)
    denylist = revocations(clock)
    await denylist.not_before("u1")
    assert denylist.refusal(principal(issued=1000.499)) is not None
    assert denylist.refusal(principal(issued=1000.501)) is None


async def test_entries_are_dropped_once_nothing_they_refuse_can_live():
    clock = Clock(1000.0)
    denylist = revocations(clock)
    await denylist.revoke(principal())
    await denylist.not_before("u1")
    clock.at += 931
    denylist._sweep()
    assert denylist._ids == {} and denylist._not_before == {}


async def test_a_watcher_wakes_on_revocation_and_on_expiry():
    clock = Clock(1000.0)
    denylist = revocations(clock)
    watch = asyncio.create_task(denylist.until_invalid(principal(issued=999.5)))
    await asyncio.sleep(0)
    await denylist.not_before("u1")
    assert await asyncio.wait_for(watch, 5) == (
        "token was issued before the account's password or access changed")
    clock.at = 2000.0  # past expires_at
    assert await asyncio.wait_for(denylist.until_invalid(principal(token="x", session="y",
                                                                   issued=1999.0)), 5) == (
        "token has expired")


class BrokenCache(MemoryCache):
    async def set(self, key, value, ttl=None):
        raise ConnectionError("cache down")

    async def get_many(self, keys):
        raise ConnectionError("cache down")


async def test_a_revocation_that_cannot_be_shared_is_a_503_and_still_holds_here():
    denylist = revocations(Clock(1000.0), cache=BrokenCache())
    with pytest.raises(Problem) as info:
        await denylist.revoke(principal())
    assert info.value.status == 503
    assert denylist.refusal(principal()) is not None
    await denylist.learn(principal(token="n", session="m"))  # unreadable: no error, no entry
    assert denylist.refusal(principal(token="n", session="m")) is None
