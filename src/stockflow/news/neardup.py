"""Near-duplicate detection: MinHash signatures (datasketch) in a banded LSH index, time-windowed.

A lookup hashes the new signature's bands and reads one dict slot per band, so its cost depends on
the number of bands and on how many stored items share a band, never on how many are stored.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from stockflow.news.canonical import text_key

_MIX = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio multiplier: spreads band values over 64 bits


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


@dataclass(slots=True)
class _Entry:
    item_id: str
    story_id: str
    at: datetime
    sig: bytes  # uint32 values; bytes cost a third of a numpy array per stored item


# A bucket holds one entry or, when items collide on a band, a list of them: most buckets hold
# one, and a list per bucket would double the memory of a million-item index.
_Bucket = _Entry | list[_Entry]


class NearDuplicateIndex:
    """In-memory banded MinHash LSH keeping only items younger than `window` (by their time)."""

    def __init__(self, *, num_perm: int = 64, bands: int = 16, threshold: float = 0.5,
                 window: timedelta = timedelta(hours=48)) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        self.threshold = threshold
        self.window = window
        self._buckets: list[dict[int, _Bucket]] = [{} for _ in range(bands)]
        self._order: deque[_Entry] = deque()
        self._salt = np.arange(self.rows, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._order)

    def band_keys(self, sig: np.ndarray) -> list[int]:
        rows = sig.reshape(self.bands, self.rows).astype(np.uint64)
        with np.errstate(over="ignore"):  # wrapping multiplication is the point of the mix
            mixed = np.bitwise_xor.reduce(rows * _MIX + self._salt, axis=1)
        return mixed.tolist()

    def query(self, sig: np.ndarray, at: datetime) -> Match | None:
        """The most similar stored item within the window at or above the threshold."""
        best: Match | None = None
        seen: set[int] = set()
        sig = np.asarray(sig, dtype=np.uint32)
        for band, key in zip(self._buckets, self.band_keys(sig), strict=True):
            bucket = band.get(key)
            if bucket is None:
                continue
            for entry in bucket if isinstance(bucket, list) else (bucket,):
                if id(entry) in seen or abs(entry.at - at) > self.window:
                    continue
                seen.add(id(entry))
                stored = np.frombuffer(entry.sig, dtype=np.uint32)
                similarity = float(np.count_nonzero(stored == sig)) / self.num_perm
                if similarity >= self.threshold and (best is None or similarity > best.similarity):
                    best = Match(entry.item_id, entry.story_id, similarity)
        return best

    def add(self, item_id: str, story_id: str, sig: np.ndarray, at: datetime) -> None:
        sig = np.asarray(sig, dtype=np.uint32)
        entry = _Entry(item_id, story_id, at, sig.tobytes())
        for band, key in zip(self._buckets, self.band_keys(sig), strict=True):
            bucket = band.get(key)
            if bucket is None:
                band[key] = entry
            elif isinstance(bucket, list):
                bucket.append(entry)
            else:
                band[key] = [bucket, entry]
        self._order.append(entry)
        self._evict(at)

    def _evict(self, newest: datetime) -> None:
        # Items arrive roughly in time order; the oldest leave once outside the window.
        while self._order and newest - self._order[0].at > self.window:
            old = self._order.popleft()
            keys = self.band_keys(np.frombuffer(old.sig, dtype=np.uint32))
            for band, key in zip(self._buckets, keys, strict=True):
                bucket = band.get(key)
                if bucket is old:
                    del band[key]
                elif isinstance(bucket, list):
                    bucket.remove(old)
                    if len(bucket) == 1:
                        band[key] = bucket[0]
