"""The in-process cache: TTL on an injected clock, LRU bound."""

from stockflow.adapters.cache.memory import MemoryCache
from stockflow.testing.fakes import FakeClock


async def test_entries_expire_after_their_ttl():
    clock = FakeClock()
    cache = MemoryCache(monotonic=clock.monotonic)
    await cache.set("k", b"v", ttl=300)
    clock.advance(299)
    assert await cache.get("k") == b"v"
    clock.advance(2)
    assert await cache.get("k") is None


async def test_size_is_bounded_by_evicting_least_recently_set():
    cache = MemoryCache(max_entries=3)
    for i in range(5):
        await cache.set(f"k{i}", b"x")
    assert await cache.get_many(["k0", "k1", "k2", "k3", "k4"]) == [None, None, b"x", b"x", b"x"]


async def test_set_many_and_delete():
    cache = MemoryCache()
    await cache.set_many({"a": b"1", "b": b"2"}, ttl=10)
    await cache.delete("a")
    assert await cache.get_many(["a", "b"]) == [None, b"2"]
