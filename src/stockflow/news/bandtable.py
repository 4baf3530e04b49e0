"""The band tables of the near-duplicate index: one open-addressing hash table per LSH band, all
in one NumPy array, so that a lookup reads every band's slots with a single gather.

A dict per band costs a chain of dependent memory reads per band (index, entry, key object), taken
one band after another; once the tables outgrow the cache that chain is most of a lookup. Here
the sixteen reads are independent loads in one NumPy loop, which the CPU overlaps.
"""

from __future__ import annotations

import numpy as np

TOMB = -1  # the key stays and holds no item: probes pass it, a new item of that key reuses it
MULTI = -2  # several items share the key: their positions are in the band's spill dict
# Slots read per band. No key is stored further than this from its home slot (a table that would
# need it is rebuilt larger), so one gather decides a lookup: at load ½ over a million keys the
# furthest lies 9 slots on, and one key in 50,000 lies 8 or more.
WIDTH = 16


class TableFull(Exception):
    """A probe ran off the end of a band: the caller rebuilds the tables larger."""


class BandTables:
    """Linear probing over `2**bits` home slots per band. A slot holds a band key (0 when free:
    keys are odd) and a value: a ring position, TOMB or MULTI."""

    def __init__(self, bands: int, bits: int) -> None:
        self.bands, self.bits = bands, bits
        self._size = (1 << bits) + WIDTH  # the last home slot's run must not wrap around
        self._keys = np.zeros(bands * self._size, dtype=np.int64)
        self._values = np.zeros(bands * self._size, dtype=np.int64)
        # The home slot is the key's top bits: an arithmetic shift, so -2**(bits-1) .. 2**(bits-1),
        # moved up by half a band. All int64: NumPy's take converts any other index type first.
        self._shift = np.int64(64 - bits)
        base = np.arange(bands, dtype=np.int64) * self._size + (1 << (bits - 1))
        self._runs = base[:, None] + np.arange(WIDTH, dtype=np.int64)
        self._spill: list[dict[int, list[int]]] = [{} for _ in range(bands)]
        # Keys that may still be added before the load passes one half (tombstones count as load).
        self.room = (1 << bits) // 2

    @property
    def nbytes(self) -> int:
        return self._keys.nbytes + self._values.nbytes

    @classmethod
    def build(cls, keys: np.ndarray) -> BandTables:
        """Tables holding the items at positions 0..n-1, whose band keys are the rows of `keys`."""
        n, bands = keys.shape
        bits = max(5, (3 * n).bit_length())  # load ≤ ⅓ after a build: room for n/2 more items
        while True:
            tables = cls(bands, bits)
            try:
                for band in range(bands):
                    tables._fill(band, keys[:, band])
            except TableFull:
                bits += 1
                continue
            tables.room -= n
            return tables

    def _fill(self, band: int, keys: np.ndarray) -> None:
        if not len(keys):
            return
        # Items of one key become one slot; stable sorting keeps a spill list in insertion order.
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        counts = np.diff(starts, append=len(keys))
        unique = ordered[starts]
        values = order[starts]
        for i in np.flatnonzero(counts > 1).tolist():
            values[i] = MULTI
            self._spill[band][int(unique[i])] = order[starts[i]:starts[i] + counts[i]].tolist()
        offset = band * self._size
        home = (unique >> self._shift) + (offset + (1 << (self.bits - 1)))
        slot, pending = home.copy(), np.arange(len(unique))
        # Place every key at once; of those wanting the same free slot one wins, the rest move on.
        # A slot never empties here, so each key's run from its home slot has no gap.
        while pending.size:
            wanted = slot[pending]
            if (wanted - home[pending]).max() >= WIDTH:
                raise TableFull
            free = np.flatnonzero(self._keys[wanted] == 0)
            _, first = np.unique(wanted[free], return_index=True)
            won = free[first]
            self._keys[wanted[won]] = unique[pending[won]]
            self._values[wanted[won]] = values[pending[won]]
            lost = np.ones(pending.size, dtype=bool)
            lost[won] = False
            pending = pending[lost]
            slot[pending] += 1

    def _gather(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # keys is a column (bands × 1); few NumPy calls, as each costs more than its work here.
        idx = (keys >> self._shift) + self._runs
        return idx, self._keys.take(idx)

    def candidates(self, keys: np.ndarray) -> list[int]:
        """Positions of the items sharing a band key with `keys`, band by band, each bucket in
        insertion order (an item appears once per band it shares)."""
        idx, stored = self._gather(keys)
        match = stored == keys
        slots = idx[match]  # row-major: bands in order, at most one slot each
        if not slots.size:
            return []  # the common case
        values = self._values.take(slots).tolist()
        if MULTI not in values:
            return [value for value in values if value != TOMB]
        out: list[int] = []
        for band, value in zip(match.any(axis=1).nonzero()[0].tolist(), values, strict=True):
            if value >= 0:
                out.append(value)
            elif value == MULTI:
                out.extend(self._spill[band][int(keys[band, 0])])
        return out

    def _locate(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per band, the slot holding the key (found) or else the free slot where it goes."""
        keys = keys.reshape(self.bands, 1)
        idx, stored = self._gather(keys)
        match = stored == keys
        found = match.any(axis=1)
        free = stored == 0
        if not (found | free.any(axis=1)).all():
            raise TableFull  # a new key would lie further than WIDTH from its home slot
        col = np.where(found, match.argmax(axis=1), free.argmax(axis=1))
        return idx[np.arange(self.bands), col], found

    def insert(self, keys: np.ndarray, pos: int) -> None:
        slots, found = self._locate(keys)  # raises TableFull before anything is written
        new = ~found
        self._keys[slots[new]] = keys.ravel()[new]
        self._values[slots[new]] = pos
        for band in np.flatnonzero(found).tolist():
            slot, key = int(slots[band]), int(keys[band, 0])
            value = int(self._values[slot])
            if value == TOMB:
                self._values[slot] = pos
            elif value == MULTI:
                self._spill[band][key].append(pos)
            else:
                self._spill[band][key] = [value, pos]
                self._values[slot] = MULTI
        self.room -= 1  # at most one new slot per band

    def remove(self, keys: np.ndarray, pos: int) -> None:
        slots, _ = self._locate(keys)
        single = self._values[slots] == pos
        self._values[slots[single]] = TOMB
        for band in np.flatnonzero(~single).tolist():  # the item shares this bucket
            key = int(keys[band, 0])
            items = self._spill[band][key]
            items.remove(pos)
            if len(items) == 1:
                self._values[slots[band]] = items[0]
                del self._spill[band][key]
