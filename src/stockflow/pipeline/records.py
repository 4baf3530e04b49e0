"""What the tick processor returns: processed ticks as tuples, made into dicts or columns only
when a consumer asks, plus the quotes, closed bars and rejects of one batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from stockflow.market.domain import Bar
from stockflow.pipeline.domain import iso_time

# One processed tick as `process()` records it: a tuple is the cheapest thing to build per tick.
# Storage takes columns of it (`columns()`); the 23-field dicts of `processed` are made from it
# only when asked for, since mid, spread, change, change_pct and time follow from these fields.
RECORD_FIELDS = ("id", "provider", "symbol", "seq", "ticker", "ts", "price", "size", "bid", "ask",
                 "bid_size", "ask_size", "prev_close", "vwap", "volume", "day_open", "day_high",
                 "day_low")
_FIELD_INDEX = {f: i for i, f in enumerate(RECORD_FIELDS)}


@dataclass(slots=True)
class ProcessResult:
    records: list[tuple[Any, ...]] = field(default_factory=list)  # RECORD_FIELDS tuples
    quotes: list[dict[str, Any]] = field(default_factory=list)   # quote_to_wire shape
    bars: list[Bar] = field(default_factory=list)                # closed bars
    rejects: list[tuple[Any, str, str]] = field(default_factory=list)  # (raw, reason, detail)
    duplicates: int = 0                                          # replayed ticks skipped
    _dicts: list[dict[str, Any]] | None = field(default=None, compare=False, repr=False)

    @property
    def processed(self) -> list[dict[str, Any]]:
        """The processed ticks as dicts of 23 enriched fields, made once on first use."""
        if self._dicts is None:
            self._dicts = [_tick_dict(r) for r in self.records]
        return self._dicts

    def columns(self, fields: Sequence[str] = RECORD_FIELDS, start: int = 0,
                stop: int | None = None) -> dict[str, list[Any]]:
        """Records [start:stop] as one list per named field (names from RECORD_FIELDS)."""
        part = self.records[start:stop]
        # One C-level map per wanted field: a third cheaper than transposing all with zip(*part).
        return {f: list(map(itemgetter(_FIELD_INDEX[f]), part)) for f in fields}


class _Processed:
    """Builds a processed tick; its `__dict__` is what we hand out.

    Instance dicts of one class share their keys table (PEP 412), so filling 23 attributes and
    taking `__dict__` costs a third of a 23-key dict literal, and a third of the memory. The
    result is a plain `dict`; set the attributes in this one order so the keys stay shared.
    """


def _tick_dict(r: tuple[Any, ...]) -> dict[str, Any]:
    (tid, provider, symbol, seq, ticker, ts, price, size, bid, ask, bid_size, ask_size, pc, vwap,
     volume, day_open, day_high, day_low) = r
    o = _Processed()
    o.id = tid
    o.provider = provider
    o.symbol = symbol
    o.seq = seq
    o.ticker = ticker
    o.ts = ts
    o.time = iso_time(ts)
    o.price = price
    o.size = size
    o.bid = bid
    o.ask = ask
    o.bid_size = bid_size
    o.ask_size = ask_size
    if bid is not None and ask is not None:
        o.mid = (bid + ask) * 0.5
        o.spread = ask - bid
    else:
        o.mid = o.spread = None
    o.prev_close = pc
    if pc is None:
        o.change = o.change_pct = None
    else:
        o.change = price - pc
        o.change_pct = (price / pc - 1.0) * 100.0
    o.vwap = vwap
    o.volume = volume
    o.day_open = day_open
    o.day_high = day_high
    o.day_low = day_low
    return o.__dict__
