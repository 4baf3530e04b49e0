"""Deterministic price model of the simulated market: factor/GARCH/jump daily paths, intraday bridges.

Every random draw is keyed by (seed, stream, year) or (seed, ticker, day), so a value never depends
on when, in what order, or up to which horizon it is asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import lru_cache

import numpy as np

from stockflow.adapters.providers.simulated.paths import (
    _MASK64,
    BLOCK,
    BarArrays,
    DayPath,
    DayStreams,
    YearPath,
    _decimals,
    _factor_shocks,
    _profiles,
    _splitmix,
    _word,
    bridge,
    rng,
    to_tick,
)
from stockflow.adapters.providers.simulated.universe import Listing, default_universe
from stockflow.market.calendar import MarketCalendars, Schedule
from stockflow.market.domain import AssetClass, Quote

EPOCH = date(2015, 1, 1)             # first simulated day; the daily recursion starts here
REFERENCE_DATE = date(2026, 1, 2)    # the close on (or last before) this day equals ref_price
GARCH_ALPHA, GARCH_BETA = 0.09, 0.89
MAX_VAR_MULT = 25.0                  # cap on h / long-run variance, so one jump cannot explode it
EQUITY_GAP_SHARE = 0.25              # share of daily variance realised overnight (equities)
REGIONS = {"XNYS": "US", "XNAS": "US", "XNSE": "IN", "CRYPTO": "CRYPTO", "FX": "FX"}
# Markets that trade through the day with no overnight gap (a session is a whole UTC day), and
# sessions a year by class for the rest, 252 exchange days.
CONTINUOUS = frozenset({AssetClass.CRYPTO, AssetClass.FX})
PERIODS = {AssetClass.CRYPTO: 365, AssetClass.FX: 260}

class PriceModel:
    """The simulated market's price process for a fixed seed."""

    def __init__(self, seed: int, calendars: MarketCalendars,
                 universe: Iterable[Listing] | None = None, *,
                 year_cache: int = 1024, day_cache: int = 512) -> None:
        if calendars.start > EPOCH:
            raise ValueError(f"calendars must start on or before {EPOCH}")
        self.seed = int(seed)
        self.calendars = calendars
        self.listings = {x.ticker: x for x in (universe or default_universe())}
        self._end_state: dict[tuple[str, int], tuple[float, float]] = {}
        self._offsets: dict[str, float] = {}
        self._year = lru_cache(maxsize=year_cache)(self._compute_year)
        self._extremes = lru_cache(maxsize=12 * year_cache)(self._compute_extremes)
        self._day = lru_cache(maxsize=day_cache)(self._compute_day)

    def listing(self, ticker: str) -> Listing:
        try:
            return self.listings[ticker]
        except KeyError:
            raise KeyError(f"unknown ticker {ticker!r}") from None

    def schedule(self, ticker: str) -> Schedule:
        return self.calendars.schedule(self.listing(ticker).instrument.exchange)

    # -- daily process ---------------------------------------------------------------------

    def _compute_year(self, ticker: str, year: int) -> YearPath:
        raw, first = self._raw_year(ticker, year)
        off = self._offset(ticker)
        return YearPath(first, raw[0] + off, raw[1] + off, raw[2] + off, raw[3], raw[4])

    def _offset(self, ticker: str) -> float:
        off = self._offsets.get(ticker)
        if off is None:
            sched = self.schedule(ticker)
            i = int(np.searchsorted(sched.days, np.datetime64(REFERENCE_DATE, "D"), "right")) - 1
            raw, first = self._raw_year(ticker, sched.days[i].astype(object).year)
            off = math.log(self.listing(ticker).params.ref_price) - float(raw[1][i - first])
            self._offsets[ticker] = off
        return off

    def _raw_year(self, ticker: str, year: int):
        """Unanchored (log_open, log_close, log_prev_close, var, volume) for the year's sessions."""
        if year < EPOCH.year:
            raise ValueError(f"the simulated market starts in {EPOCH.year}")
        if year > EPOCH.year and (ticker, year - 1) not in self._end_state:
            self._raw_year(ticker, year - 1)  # walks back until a known state; depth <= years
        h, level = self._end_state.get((ticker, year - 1), (None, 0.0))

        listing = self.listing(ticker)
        p, inst = listing.params, listing.instrument
        crypto = inst.asset_class in CONTINUOUS
        sched = self.schedule(ticker)
        jan1 = np.datetime64(date(year, 1, 1), "D")
        first = int(np.searchsorted(sched.days, jan1))
        last = int(np.searchsorted(sched.days, np.datetime64(date(year + 1, 1, 1), "D")))
        doy = (sched.days[first:last] - jan1).astype(np.int64)

        region = REGIONS[inst.exchange]
        mkt = _factor_shocks(self.seed, f"market:{region}", year)[doy]
        sec = _factor_shocks(self.seed, f"sector:{region}:{p.factor or inst.sector}", year)[doy]
        g = rng(self.seed, "daily", ticker, year)
        idio, jump_z, gap_z, vol_z = g.standard_normal((4, BLOCK))[:, doy]
        jump_u = g.random(BLOCK)[doy]

        periods = PERIODS.get(inst.asset_class, 252)
        lam = p.jumps_per_year / periods
        # Diffusion takes what the jumps leave of the target variance, so realised vol ~ p.vol.
        s2 = max(p.vol * p.vol / periods - lam * p.jump_vol**2, 0.3 * p.vol * p.vol / periods)
        z = p.market_beta * mkt + p.sector_beta * sec
        z = z + math.sqrt(max(0.0, 1 - p.market_beta**2 - p.sector_beta**2)) * idio
        jump = np.where(jump_u < lam, p.jump_vol * jump_z, 0.0)

        # GARCH(1,1) on the diffusion shock (jumps stay out, so E[h] is exactly s2); sequential
        # by nature, so a plain loop over ~252 days.
        h = s2 if h is None else h
        omega, cap = s2 * (1 - GARCH_ALPHA - GARCH_BETA), s2 * MAX_VAR_MULT
        hs = np.empty(len(doy))
        for k, zk in enumerate(z.tolist()):
            hs[k] = h
            h = min(omega + (GARCH_ALPHA * zk * zk + GARCH_BETA) * h, cap)

        eps = np.sqrt(hs) * z
        ret = p.drift / periods - 0.5 * hs + eps + jump
        close = level + np.cumsum(ret)
        prev = np.concatenate([[level], close[:-1]])
        gs = 0.0 if crypto else EQUITY_GAP_SHARE
        # Split the day's Brownian increment at the open: the overnight part given the whole is
        # gs*eps plus independent noise; equity jumps land overnight (news comes out of hours).
        gap = gs * eps + np.sqrt(gs * (1 - gs) * hs) * gap_z + (0.0 if crypto else jump)
        open_ = prev + gap

        minutes = (sched.closes[first:last] - sched.opens[first:last]) // 60
        full = 1440 if crypto else max(int(minutes.max(initial=1)), 1)
        activity = 0.55 + 0.45 * np.abs(eps + jump) / (0.7979 * np.sqrt(hs))
        volume = (p.adv * np.exp(0.25 * vol_z - 0.03125) * activity * np.sqrt(hs / s2)
                  * (minutes / full))
        volume = np.maximum(np.rint(volume), 1).astype(np.int64)

        self._end_state[(ticker, year)] = (h, float(close[-1]) if len(close) else level)
        return (open_, close, prev, hs, volume), first

    def _compute_extremes(self, ticker: str, year: int, month: int):
        """(schedule rows [g0, g1) of the month, highs, lows): max/min of each day's minute bars.

        Cached per month rather than per year so a backfill starting in November does not pay
        for the whole year.
        """
        yp = self._year(ticker, year)
        sched = self.schedule(ticker)
        tick = self.listing(ticker).params.tick
        g0, g1 = _month_rows(sched, year, month)
        highs, lows = np.empty(g1 - g0), np.empty(g1 - g0)
        minutes = (sched.closes[g0:g1] - sched.opens[g0:g1]) // 60
        streams = DayStreams(self.seed, ticker)
        for n in np.unique(minutes).tolist():
            rows = np.flatnonzero(minutes == n)
            xi, e = np.empty((len(rows), n)), np.empty((2, len(rows), n))
            for j, r in enumerate(rows.tolist()):
                self._draw_day(streams, sched, g0 + r, xi[j], e[0, j], e[1, j])
            _, hi, lo = self._bridge_rows(ticker, yp, rows + (g0 - yp.first), xi, e[0], e[1])
            # to_tick is monotone, so rounding the row's extreme equals the extreme of the rounded
            highs[rows] = to_tick(hi.max(axis=1), tick)
            lows[rows] = to_tick(lo.min(axis=1), tick)
        return g0, g1, highs, lows

    # -- intraday --------------------------------------------------------------------------

    @staticmethod
    def _draw_day(streams: DayStreams, sched: Schedule, i: int, xi, e_hi, e_lo):
        g = streams.at(int(sched.days[i].astype(np.int64)))
        g.standard_normal(out=xi)
        g.standard_exponential(out=e_hi)
        g.standard_exponential(out=e_lo)
        return g

    def _bridge_rows(self, ticker, yp: YearPath, rows: np.ndarray, xi, e_hi, e_lo):
        crypto = self.listing(ticker).instrument.asset_class in CONTINUOUS
        gs = 0.0 if crypto else EQUITY_GAP_SHARE
        sqrt_v, frac, _ = _profiles(crypto, xi.shape[1])
        scale = np.sqrt((1 - gs) * yp.var[rows])
        return bridge(yp.log_open[rows], yp.log_close[rows], scale, sqrt_v, frac, xi, e_hi, e_lo)

    def _compute_day(self, ticker: str, i: int) -> DayPath:
        sched = self.schedule(ticker)
        listing = self.listing(ticker)
        tick, crypto = listing.params.tick, listing.instrument.asset_class in CONTINUOUS
        yp = self._year(ticker, sched.days[i].astype(object).year)
        open_ts, close_ts = sched.open_list[i], sched.close_list[i]
        n = (close_ts - open_ts) // 60
        xi, e = np.empty((1, n)), np.empty((2, 1, n))
        g = self._draw_day(DayStreams(self.seed, ticker), sched, i, xi[0], e[0, 0], e[1, 0])
        rows = np.array([i - yp.first])
        path, hi, lo = self._bridge_rows(ticker, yp, rows, xi, e[0], e[1])
        px = to_tick(path[0], tick)
        highs, lows = to_tick(hi[0], tick), to_tick(lo[0], tick)

        _, _, vol_w = _profiles(crypto, n)
        weights = vol_w * np.exp(0.5 * g.standard_normal(n))
        vol = g.multinomial(int(yp.volume[rows[0]]), weights / weights.sum())

        times = open_ts + 60 * np.arange(n, dtype=np.int64)
        bars = BarArrays(times, times + 60, px[:-1], highs, lows, px[1:], vol.astype(np.int64))
        high_before = np.concatenate([[px[0]], np.maximum.accumulate(highs)[:-1]])
        low_before = np.concatenate([[px[0]], np.minimum.accumulate(lows)[:-1]])
        cum_vol = np.concatenate([[0], np.cumsum(vol)[:-1]])
        return DayPath(
            open_ts, bars, float(px[0]), float(px[-1]), float(highs.max()), float(lows.min()),
            int(yp.volume[rows[0]]), path[0], cum_vol, high_before, low_before)

    # -- public queries --------------------------------------------------------------------

    def daily(self, ticker: str, start: date, end: date) -> BarArrays:
        """Daily bars for sessions with start <= day < end; bar time is 00:00 UTC of the day."""
        sched = self.schedule(ticker)
        tick = self.listing(ticker).params.tick
        lo = int(np.searchsorted(sched.days, np.datetime64(max(start, EPOCH), "D")))
        hi = int(np.searchsorted(sched.days, np.datetime64(end, "D")))
        if hi <= lo:
            return BarArrays.concat([])
        parts = []
        first, last = (sched.days[j].astype(object) for j in (lo, hi - 1))
        for m in range(first.year * 12 + first.month - 1, last.year * 12 + last.month):
            year, month = divmod(m, 12)
            month += 1
            yp = self._year(ticker, year)
            g0, g1, highs, lows = self._extremes(ticker, year, month)
            a, b = max(lo, g0), min(hi, g1)
            rows = slice(a - yp.first, b - yp.first)
            parts.append(BarArrays(
                sched.days[a:b].astype("datetime64[s]").astype(np.int64), sched.closes[a:b],
                to_tick(yp.log_open[rows], tick), highs[a - g0:b - g0], lows[a - g0:b - g0],
                to_tick(yp.log_close[rows], tick), yp.volume[rows]))
        return BarArrays.concat(parts)

    def intraday(self, ticker: str, start_ts: float, end_ts: float, minutes: int = 1) -> BarArrays:
        """Bars of `minutes` minutes (aligned to the session open) starting in [start_ts, end_ts)."""
        sched = self.schedule(ticker)
        first_ts = sched.open_list[int(np.searchsorted(sched.days, np.datetime64(EPOCH, "D")))]
        i = max(sched.last_open_at(max(start_ts, first_ts)), 0)
        parts = []
        while i < len(sched.open_list) and sched.open_list[i] < end_ts:
            if sched.close_list[i] > start_ts:
                bars = self._day(ticker, i).bars
                if minutes > 1:
                    bars = aggregate(bars, minutes, sched.open_list[i], sched.close_list[i])
                parts.append(bars.select((bars.time >= start_ts) & (bars.time < end_ts)))
            i += 1
        return BarArrays.concat(parts)

    def quote(self, ticker: str, at: datetime, provider: str = "simulated") -> Quote:
        listing = self.listing(ticker)
        p = listing.params
        sched = self.calendars.schedule(listing.instrument.exchange)
        ts = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
        i = sched.last_open_at(ts)
        if i < 0 or sched.days[i] < np.datetime64(EPOCH, "D") or ts >= sched.close_list[-1] + 86400:
            raise ValueError(f"{at} is outside the simulated range")
        day = self._day(ticker, i)
        yp = self._year(ticker, sched.days[i].astype(object).year)
        prev_close = self._round(math.exp(float(yp.log_prev_close[i - yp.first])), p.tick)
        elapsed = ts - day.open_ts
        if elapsed < 60 * len(day.cum_vol):  # in session: interpolate the minute path
            k = int(elapsed // 60)
            f = (elapsed - 60 * k) / 60.0
            b0, b1 = float(day.knots[k]), float(day.knots[k + 1])
            price = self._round(math.exp(b0 + f * (b1 - b0)), p.tick)
            volume = int(day.cum_vol[k]) + int(f * int(day.bars.volume[k]))
            high = max(float(day.high_before[k]), price)
            low = min(float(day.low_before[k]), price)
            key, spread_mult = int(ts), 1.0
        else:                 # after the close: the session's final values, frozen
            price, volume, high, low = day.close, day.volume, day.high, day.low
            key, spread_mult = -i, 2.0  # thinner books out of hours
        bid, ask = self._touch(price, p.tick, price * p.spread_bps * spread_mult / 2e4)
        mix = _splitmix((_word(ticker) << 32) ^ (key & _MASK64) ^ self.seed)
        return Quote(
            ticker=ticker, time=at, price=price, bid=bid, ask=ask,
            bid_size=p.lot * (1 + mix % 40), ask_size=p.lot * (1 + (mix >> 16) % 40),
            volume=int(volume), open=day.open, high=float(high), low=float(low),
            prev_close=prev_close, provider=provider,
        )

    @staticmethod
    def _round(price: float, tick: float) -> float:
        return round(max(round(price / tick), 1) * tick, _decimals(tick))

    @staticmethod
    def _touch(price: float, tick: float, half: float) -> tuple[float, float]:
        """Bid and ask on the tick grid around `price`, at least one tick apart, price inside."""
        x = half / tick
        bid_ticks = max(math.floor(price / tick - x + 1e-9), 1)
        ask_ticks = bid_ticks + max(1, round(2 * x))
        dec = _decimals(tick)
        return round(bid_ticks * tick, dec), round(ask_ticks * tick, dec)


def _month_rows(sched: Schedule, year: int, month: int) -> tuple[int, int]:
    start = np.datetime64(date(year, month, 1), "D")
    end = np.datetime64(date(year + month // 12, month % 12 + 1, 1), "D")
    return int(np.searchsorted(sched.days, start)), int(np.searchsorted(sched.days, end))


def aggregate(bars: BarArrays, minutes: int, open_ts: int, close_ts: int) -> BarArrays:
    """Roll one session's 1-minute bars into `minutes`-minute buckets aligned to the open."""
    bucket = (bars.time - open_ts) // (60 * minutes)
    starts = np.flatnonzero(np.diff(bucket, prepend=-1))
    ends = np.append(starts[1:], len(bucket)) - 1
    times = open_ts + bucket[starts] * 60 * minutes
    return BarArrays(
        times, np.minimum(times + 60 * minutes, close_ts), bars.open[starts],
        np.maximum.reduceat(bars.high, starts), np.minimum.reduceat(bars.low, starts),
        bars.close[ends], np.add.reduceat(bars.volume, starts),
    )
