"""The simulated market's random streams and paths: keyed generators, tick rounding, intraday
Brownian bridges, and the arrays a year or a day of bars is kept in (used by model.py)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

BLOCK = 366  # draws per yearly block: one per calendar day, leap or not
_MASK64 = (1 << 64) - 1


def _word(part: int | str) -> int:
    # crc32, not hash(): Python's str hash is salted per process and would break reproducibility.
    return zlib.crc32(part.encode()) if isinstance(part, str) else int(part) & 0xFFFFFFFF


def rng(seed: int, *parts: int | str) -> np.random.Generator:
    entropy = [int(seed) & 0xFFFFFFFF, (int(seed) >> 32) & 0xFFFFFFFF, *map(_word, parts)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


@lru_cache(maxsize=2048)
def _factor_shocks(seed: int, name: str, year: int) -> np.ndarray:
    out = rng(seed, "factor", name, year).standard_normal(BLOCK)
    out.setflags(write=False)
    return out


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


class DayStreams:
    """Random streams keyed by (seed, ticker, day): a PCG64 whose state is set from a hash.

    Setting the state costs ~2 us where a fresh SeedSequence costs ~10 us, and a year of
    minute paths needs one stream per session. Not thread-safe: make one per computation.
    """

    def __init__(self, seed: int, ticker: str) -> None:
        self._key = _splitmix(_splitmix(int(seed) & _MASK64) ^ _word(ticker))
        self._bits = np.random.PCG64(0)
        self.gen = np.random.Generator(self._bits)

    def at(self, day: int) -> np.random.Generator:
        a = _splitmix(self._key ^ (day & _MASK64))
        b = _splitmix(a)
        c = _splitmix(b)
        d = _splitmix(c)
        self._bits.state = {"bit_generator": "PCG64", "has_uint32": 0, "uinteger": 0,
                            "state": {"state": (a << 64) | b, "inc": (c << 64) | d | 1}}
        return self.gen


def _decimals(tick: float) -> int:
    return max(0, math.ceil(-math.log10(tick) - 1e-9))


def to_tick(log_price: np.ndarray, tick: float) -> np.ndarray:
    """exp() then round to the tick grid (monotone, so OHLC order survives) and never below 1 tick."""
    return np.round(np.maximum(np.rint(np.exp(log_price) / tick), 1.0) * tick, _decimals(tick))


@lru_cache(maxsize=16)
def _profiles(crypto: bool, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intraday shape for n minutes: (sqrt of variance weights, bridge time fractions, volume shape)."""
    x = (np.arange(n) + 0.5) / n
    if crypto:  # 24h day from 00:00 UTC, busiest when Europe and the US overlap (~15:00 UTC)
        wave = np.cos(2 * np.pi * (x - 15 / 24))
        var_w, vol_w = 1 + 0.35 * wave, 1 + 0.5 * wave
    else:       # the U-shape: busy, volatile open; heavy close into the auction
        var_w = 1 + 2.5 * np.exp(-x / 0.04) + 1.0 * np.exp(-(1 - x) / 0.03)
        vol_w = 1 + 3.0 * np.exp(-x / 0.06) + 3.5 * np.exp(-(1 - x) / 0.04)
    cum = np.concatenate([[0.0], np.cumsum(var_w)])
    frac = cum / cum[-1]
    sqrt_v = np.sqrt(var_w / cum[-1])
    for a in (sqrt_v, frac, vol_w):
        a.setflags(write=False)
    return sqrt_v, frac, vol_w


def bridge(log_open: np.ndarray, log_close: np.ndarray, scale: np.ndarray, sqrt_v: np.ndarray,
           frac: np.ndarray, xi: np.ndarray, e_hi: np.ndarray, e_lo: np.ndarray):
    """Brownian bridges from open to close, one row per day; returns (path, minute highs, lows).

    Minute j has std scale * sqrt_v[j]; `path` has n+1 knots (minute boundaries). Each minute's
    extreme follows the exact law of a bridge's maximum over it, M = (d + sqrt(d^2 + 2 s^2 E)) / 2
    with E ~ Exp(1). Single days and whole years go through this one function so that both agree
    bit for bit. Overwrites xi, e_hi and e_lo (they are scratch draws), in place for speed.
    """
    k, n = xi.shape
    sd = scale[:, None] * sqrt_v[None, :]
    path = np.empty((k, n + 1))
    path[:, 0] = 0.0
    np.multiply(sd, xi, out=xi)
    np.cumsum(xi, axis=1, out=path[:, 1:])
    miss = path[:, -1] - (log_close - log_open)
    path -= frac[None, :] * miss[:, None]
    path += log_open[:, None]
    path[:, 0], path[:, -1] = log_open, log_close
    a, b = path[:, :-1], path[:, 1:]
    d = b - a
    np.multiply(sd, sd, out=sd)
    sd *= 2.0
    dd = d * d
    hi, lo = e_hi, e_lo
    for ext in (hi, lo):
        ext *= sd
        ext += dd
        np.sqrt(ext, out=ext)
    hi += d
    np.subtract(d, lo, out=lo)
    for ext in (hi, lo):
        ext *= 0.5
        ext += a
    # Rounding can leave a hair on the wrong side of an endpoint; OHLC order must hold exactly.
    np.maximum(hi, a, out=hi)
    np.maximum(hi, b, out=hi)
    np.minimum(lo, a, out=lo)
    np.minimum(lo, b, out=lo)
    return path, hi, lo


@dataclass(frozen=True, slots=True)
class YearPath:
    """One instrument's sessions in one year: schedule rows [first, first+len) and daily values."""

    first: int
    log_open: np.ndarray        # anchored log prices
    log_close: np.ndarray
    log_prev_close: np.ndarray
    var: np.ndarray             # the day's conditional variance h_t
    volume: np.ndarray          # int64, whole session


@dataclass(frozen=True, slots=True)
class BarArrays:
    time: np.ndarray            # int64 UTC seconds, bar start
    end: np.ndarray             # int64 UTC seconds, when the bar is complete
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def concat(cls, parts: Iterable[BarArrays]) -> BarArrays:
        parts = list(parts)
        if not parts:
            e, f = np.zeros(0, np.int64), np.zeros(0)
            return cls(e, e, f, f, f, f, e)
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in cls.__slots__))

    def select(self, mask: np.ndarray) -> BarArrays:
        return BarArrays(*(getattr(self, name)[mask] for name in self.__slots__))


@dataclass(frozen=True, slots=True)
class DayPath:
    """One session's minute path, plus running aggregates laid out for O(1) quotes."""

    open_ts: int
    bars: BarArrays
    open: float
    close: float
    high: float
    low: float
    volume: int
    knots: np.ndarray           # log price at each minute boundary (n+1)
    cum_vol: np.ndarray         # volume traded before minute k
    high_before: np.ndarray     # session high before minute k (the open for k = 0)
    low_before: np.ndarray
