"""Near-duplicate detection: MinHash signatures (datasketch) in a banded LSH index, time-windowed.

A lookup hashes the new signature's bands and reads a few slots per band, all bands in one NumPy
gather (news/bandtable.py), so its cost depends on the number of bands and on how many stored
items share a band, not on how many are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from stockflow.news.bandtable import BandTables, TableFull
from stockflow.news.canonical import text_key

_US = timedelta(microseconds=1)
_EPOCH, _NAIVE_EPOCH = datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 1)
_MIN_CAPACITY = 16
_ONE = np.int64(1)


def shingles(text: str, size: int = 3) -> set[bytes]:
    """Word n-grams of the text; for scripts without spaces (zh/ja), character n-grams."""
    key = text_key(text)
    words = key.split()
    if len(words) < size * 2 and len(key) > size * 2:  # few "words": a CJK run
        compact = key.replace(" ", "")
        return {compact[i:i + size].encode() for i in range(len(compact) - size + 1)}
    return {" ".join(words[i:i + size]).encode() for i in range(max(1, len(words) - size + 1))}


def signature(text: str, num_perm: int = 64) -> np.ndarray:
    from datasketch import MinHash  # imported on first use: it pulls in scipy

    mh = MinHash(num_perm=num_perm, seed=1)
    mh.update_batch(list(shingles(text)) or [b""])
    return mh.hashvalues.astype(np.uint32)  # datasketch's values are 32-bit; halve the memory


@dataclass(frozen=True, slots=True)
class Match:
    item_id: str
    story_id: str
    similarity: float


class NearDuplicateIndex:
    """In-memory banded MinHash LSH keeping only items younger than `window` (by their time).

    Items live in a ring of NumPy arrays in arrival order (signature, time in microseconds) and the
    band tables hold ring positions. When the ring or the tables fill up, or the ring is mostly
    empty after evictions, both are rebuilt at a size fitted to the items left, so memory follows
    what the window holds.
    """

    def __init__(self, *, num_perm: int = 64, bands: int = 16, threshold: float = 0.5,
                 window: timedelta = timedelta(hours=48)) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        self.threshold = threshold
        self.window = window
        # A band key is a wrapping int64 multiply-add of the band's values by fixed odd constants,
        # made odd: two different bands share a key with chance 2**-63; its top bits pick the slot.
        rng = np.random.default_rng(0x5EED)
        odd = rng.integers(0, 2**62, size=(self.rows, 1), dtype=np.int64) * 2 + 1
        self._mult = odd  # a column, so that the keys come out as one: the lookup broadcasts them
        self._head = self._count = 0
        self._aware: bool | None = None
        self._allocate(_MIN_CAPACITY)
        self._tables = BandTables(bands, 5)

    @property
    def window(self) -> timedelta:
        return self._window

    @window.setter
    def window(self, value: timedelta) -> None:
        self._window, self._window_us = value, value // _US

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays (not counting the ids' strings)."""
        return self._sigs.nbytes + self._at.nbytes + self._tables.nbytes

    def band_keys(self, sig: np.ndarray) -> list[int]:
        return self._keys(np.asarray(sig, dtype=np.uint32)).ravel().tolist()

    def _keys(self, sigs: np.ndarray) -> np.ndarray:
        """Band keys as a column (bands × 1) for one signature, (n × bands × 1) for n of them."""
        keys = sigs.reshape(*sigs.shape[:-1], self.bands, self.rows) @ self._mult
        keys |= _ONE  # odd, as 0 marks a free slot
        return keys

    def _micros(self, at: datetime) -> int:
        aware = at.utcoffset() is not None
        if self._count and aware != self._aware:
            raise TypeError("can't compare offset-naive and offset-aware datetimes")
        self._aware = aware
        return (at - (_EPOCH if aware else _NAIVE_EPOCH)) // _US

    def query(self, sig: np.ndarray, at: datetime) -> Match | None:
        """The most similar stored item within the window at or above the threshold; of equally
        similar ones, the first met (bands in order, a shared bucket oldest first)."""
        sig = np.asarray(sig, dtype=np.uint32)
        found = self._tables.candidates(self._keys(sig))
        if not found:
            return None
        if len(found) > 1:
            found = list(dict.fromkeys(found))
        best: Match | None = None
        now = self._micros(at)
        for pos in found:
            if abs(int(self._at[pos]) - now) > self._window_us:
                continue
            similarity = int(np.count_nonzero(self._sigs[pos] == sig)) / self.num_perm
            if similarity >= self.threshold and (best is None or similarity > best.similarity):
                best = Match(*self._meta[pos], similarity)
        return best

    def add(self, item_id: str, story_id: str, sig: np.ndarray, at: datetime) -> None:
        sig = np.asarray(sig, dtype=np.uint32)
        keys, us = self._keys(sig), self._micros(at)
        if self._count == len(self._at) or self._tables.room <= 0:
            self._rebuild(extra=1)
        pos = (self._head + self._count) & (len(self._at) - 1)
        self._sigs[pos], self._at[pos], self._meta[pos] = sig, us, (item_id, story_id)
        self._count += 1
        try:
            self._tables.insert(keys, pos)
        except TableFull:  # a run reached the end of a band: rehash larger, the new item included
            self._rebuild(extra=0)
        self._evict(us)

    def _evict(self, newest: int) -> None:
        # Items arrive roughly in time order; the oldest leave once outside the window.
        mask = len(self._at) - 1
        while self._count and newest - int(self._at[self._head]) > self._window_us:
            pos = self._head
            self._tables.remove(self._keys(self._sigs[pos]), pos)
            self._meta[pos] = None
            self._head, self._count = (pos + 1) & mask, self._count - 1
        if len(self._at) > _MIN_CAPACITY and self._count < len(self._at) // 8:
            self._rebuild(extra=0)  # a burst has left the window: give its memory back

    def _allocate(self, capacity: int) -> None:
        self._sigs = np.zeros((capacity, self.num_perm), dtype=np.uint32)
        self._at = np.zeros(capacity, dtype=np.int64)
        self._meta: list[tuple[str, str] | None] = [None] * capacity

    def _rebuild(self, extra: int) -> None:
        """Move the items to arrays sized for them and `extra` more, oldest first, and rehash."""
        n = self._count
        live = (self._head + np.arange(n)) & (len(self._at) - 1)
        sigs, at, meta = self._sigs[live], self._at[live], [self._meta[i] for i in live.tolist()]
        self._allocate(max(_MIN_CAPACITY, 1 << (2 * (n + extra) - 1).bit_length()))
        self._sigs[:n], self._at[:n], self._meta[:n] = sigs, at, meta
        self._head = 0
        self._tables = BandTables.build(self._keys(sigs).reshape(n, self.bands))
