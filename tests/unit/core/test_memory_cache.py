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


async def test_get_many_drops_expired_entries():
    clock = FakeClock()
    cache = MemoryCache(monotonic=clock.monotonic)
    await cache.set("short", b"s", ttl=10)
    await cache.set("long", b"l", ttl=100)
    await cache.set("forever", b"f")
    clock.advance(50)
    assert await cache.get_many(["short", "long", "forever", "absent"]) == [None, b"l", b"f", None]
    assert await cache.get("short") is None
