"""The tick processor: a batch of raw ticks → processed ticks, quotes, closed bars and rejects.

Pure logic, no I/O: time comes in as `now_us`, and workers publish what `process()` returns.
`process()` is the hot path, written for CPython speed: locals over attributes, tuples and dicts
over objects, and the slow cases (new symbol, new session, late tick) kept out of the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from stockflow.market.domain import Bar, Instrument, Quote, normalise_ticker, quote_to_wire
from stockflow.market.ports import MarketCalendars
from stockflow.pipeline.bars import Alignment, BarAggregator, ExchangeOf, SessionAlignment
from stockflow.pipeline.domain import (
    US_PER_MINUTE,
    US_PER_SECOND,
    ParsedTick,
    RejectReason,
    TickRejected,
    datetime_to_us,
    normalise_symbol,
    parse_tick,
    us_to_datetime,
)
from stockflow.pipeline.records import ProcessResult

_SYMBOL_CACHE_MAX = 100_000


class _Session:
    """Running totals of one ticker's trading day."""

    __slots__ = ("day", "end", "high", "last", "last_ts", "low", "open", "open_ts", "own_pc",
                 "prev_day", "provider", "pv", "start", "tick_pc", "volume")

    def __init__(self, day, start: int, end: int, price: float, ts: int, provider: str) -> None:
        self.day = day
        self.start, self.end = start, end
        self.prev_day = None
        self.open = self.high = self.low = self.last = price
        self.open_ts = self.last_ts = ts
        self.provider = provider
        self.volume = 0
        self.pv = 0.0
        self.tick_pc: float | None = None     # the latest prev_close a tick carried
        self.own_pc: float | None = None      # our close of the previous session


_NO_SESSION = _Session(None, 0, 0, 0.0, -1, "")   # every tick lands after it


class _Ticker:
    __slots__ = ("book", "book_ts", "cur", "prev", "seed_pc")

    def __init__(self) -> None:
        self.cur = _NO_SESSION
        self.prev: _Session | None = None
        self.seed_pc: float | None = None
        self.book: tuple | None = None        # the parsed tick that last carried a book side
        self.book_ts = -1


class TickProcessor:
    """Validates, normalises, de-duplicates and enriches ticks; builds quotes and bars.

    Previous close, in order of preference: the tick's own prev_close (remembered for the rest
    of its session), our close of the previous session, the value given to `seed_prev_close`.
    Running VWAP and volume restart each session: the exchange-local date for listed tickers,
    the UTC date otherwise (see `SessionAlignment`).
    """

    def __init__(self, *, symbol_map: Mapping[Any, str] | None = None,
                 universe: Collection[str] | None = None,
                 exchange_of: ExchangeOf | None = None,
                 lateness_seconds: float = 120, max_future_seconds: float = 5,
                 calendars: MarketCalendars | None = None,
                 instrument_of: Callable[[str], Instrument | None] | None = None,
                 alignment: Alignment | None = None,
                 dedup_capacity: int = 1_000_000) -> None:
        self.symbol_map = dict(symbol_map or {})
        self.universe = frozenset(normalise_ticker(t) for t in universe) if universe else None
        self.alignment = alignment or SessionAlignment(exchange_of, calendars)
        self.aggregator = BarAggregator(lateness_seconds=lateness_seconds,
                                        alignment=self.alignment)
        self.max_future_us = round(max_future_seconds * US_PER_SECOND)
        self.instrument_of = instrument_of
        self._tickers: dict[str, _Ticker] = {}
        self._symbols: dict[str, dict[str, str]] = {}     # provider → raw symbol → ticker
        self._symbol_count = 0
        # Recently seen ids in two generations: a set is checked and filled in O(1), and
        # dropping the older half when the newer fills keeps between capacity/2 and capacity.
        self._dedup_half = max(dedup_capacity // 2, 1)
        self._seen: set[str] = set()
        self._seen_old: set[str] = set()

    # -- public --------------------------------------------------------------------------------

    def seed_prev_close(self, ticker: str, value: float) -> None:
        """Previous close to use for `ticker` when neither ticks nor our history give one."""
        self._ticker(normalise_ticker(ticker)).seed_pc = float(value)

    def seed_session(self, ticker: str, bars: Sequence[Bar]) -> None:
        """Resume `ticker` from its stored 1-minute bars (oldest first), e.g. after a restart:
        the session of the last bar starts from those bars' open, high, low and volume, the bar
        before that session gives the previous close, and ticks are counted from the end of the
        last bar (earlier ones are in the bars already, and their minutes are closed)."""
        ticker = normalise_ticker(ticker)
        if not bars:
            return
        last = bars[-1]
        end_us = datetime_to_us(last.time) + US_PER_MINUTE
        day, start, end = self.alignment.session_day(ticker, end_us - 1)
        day_bars = [b for b in bars if start <= datetime_to_us(b.time) < end]
        before = [b for b in bars if datetime_to_us(b.time) < start]
        st = self._ticker(ticker)
        if not day_bars or st.cur.end > start:
            return  # nothing of that day stored, or ticks of it already arrived
        first = day_bars[0]
        s = _Session(day, start, end, first.open, datetime_to_us(first.time), first.provider)
        s.prev_day = self.alignment.previous_session_day(ticker, day)
        s.high = max(b.high for b in day_bars)
        s.low = min(b.low for b in day_bars)
        s.last, s.last_ts, s.provider = last.close, end_us - 1, last.provider
        s.volume = sum(b.volume for b in day_bars)
        # Bars keep no VWAP; each minute's typical price stands in for its trades.
        s.pv = sum((b.high + b.low + b.close) / 3 * b.volume for b in day_bars)
        if before:
            s.own_pc = before[-1].close
        st.cur = s
        self.aggregator.seed(ticker, day_bars)

    def flush(self, now_us: int, *, final: bool = False) -> ProcessResult:
        """Close bars by wall clock: for tickers that went quiet, nothing else would. `final`
        (at shutdown): close every bar whose minute has ended, lateness or not; the minute in
        progress is left to the backfill at the next start, which has all of it."""
        if final:
            self.aggregator.close_ended(now_us)
        else:
            self.aggregator.advance(now_us)
        return ProcessResult(bars=self.aggregator.drain())

    def process(self, raw_ticks: Iterable[Any], now_us: int) -> ProcessResult:
        """One batch, in arrival order. Checks run cheapest-first: shape and values, then
        duplicates (so a replay counts as one, never as a late tick), symbol, future, lateness.
        Bars close by each ticker's event-time watermark here; by wall clock in `flush()`."""
        records: list[tuple[Any, ...]] = []
        rejects: list[tuple[Any, str, str]] = []
        duplicates = 0
        touched: dict[str, _Ticker] = {}

        parse = parse_tick
        add_bar = self.aggregator.add
        tickers = self._tickers
        symbols = self._symbols
        universe = self.universe
        seen, seen_old = self._seen, self._seen_old
        seen_add = seen.add
        max_ts = now_us + self.max_future_us
        too_late, future, unknown = (RejectReason.TOO_LATE, RejectReason.FUTURE_TIMESTAMP,
                                     RejectReason.UNKNOWN_SYMBOL)

        for raw in raw_ticks:
            try:
                t = parse(raw)
            except TickRejected as e:
                rejects.append((raw, e.reason, e.detail))
                continue
            provider, symbol, seq, ts, price, size = t[:6]
            tid = f"{provider}:{symbol}:{seq}"
            if tid in seen or tid in seen_old:
                duplicates += 1
                continue
            by_symbol = symbols.get(provider)
            ticker = by_symbol.get(symbol) if by_symbol is not None else None
            if ticker is None:
                ticker = self._map_symbol(provider, symbol)
            if universe is not None and ticker not in universe:
                rejects.append((raw, unknown, f"{symbol!r} from {provider} is {ticker!r}"))
                continue
            if ts > max_ts:
                rejects.append((raw, future, f"ts {ts} is {(ts - now_us) / 1e6:.3f}s ahead"))
                continue
            if not add_bar(ticker, ts, price, size, provider):
                rejects.append((raw, too_late, f"ts {ts}: its bar closed at {ticker}'s watermark"))
                continue
            seen_add(tid)
            st = tickers.get(ticker)
            if st is None:
                st = self._ticker(ticker)
            touched[ticker] = st
            records.append(self._apply(st, ticker, tid, t))

        if len(seen) >= self._dedup_half:
            self._seen_old, self._seen = seen, set()
        return ProcessResult(records, [self._quote(t, st) for t, st in touched.items()],
                             self.aggregator.drain(), rejects, duplicates)

    def _apply(self, st: _Ticker, ticker: str, tid: str, t: ParsedTick) -> tuple[Any, ...]:
        """One admitted tick into its ticker's session state; → the stored record."""
        provider, symbol, seq, ts, price, size, bid, ask, bid_size, ask_size, tick_pc = t
        s = st.cur
        late = False
        if not s.start <= ts < s.end:
            s = self._session_of(st, ticker, ts, price, provider)
            late = s is not st.cur
        if ts >= s.last_ts:
            s.last = price
            s.last_ts = ts
            s.provider = provider
        elif ts < s.open_ts:
            s.open = price
            s.open_ts = ts
        if price > s.high:
            s.high = price
        elif price < s.low:
            s.low = price
        s.volume = volume = s.volume + size
        s.pv = pv = s.pv + price * size
        if tick_pc is None:
            pc = s.tick_pc or s.own_pc or st.seed_pc
        else:
            s.tick_pc = pc = tick_pc
        if (bid is not None or ask is not None) and ts >= st.book_ts:
            st.book = t
            st.book_ts = ts
        if late:
            self._after_late(st)
        return (tid, provider, symbol, seq, ticker, ts, price, size, bid, ask,
                bid_size, ask_size, pc, pv / volume if volume else price, volume,
                s.open, s.high, s.low)

    # -- slow paths ----------------------------------------------------------------------------

    def _ticker(self, ticker: str) -> _Ticker:
        st = self._tickers.get(ticker)
        if st is None:
            st = self._tickers[ticker] = _Ticker()
        return st

    def _map_symbol(self, provider: str, symbol: str) -> str:
        if self._symbol_count >= _SYMBOL_CACHE_MAX:   # junk symbols must not grow it forever
            self._symbols.clear()
            self._symbol_count = 0
        ticker = normalise_symbol(provider, symbol, self.symbol_map)
        self._symbols.setdefault(provider, {})[symbol] = ticker
        self._symbol_count += 1
        return ticker

    def _session_of(self, st: _Ticker, ticker: str, ts: int, price: float,
                    provider: str) -> _Session:
        """The session of a tick outside the current one: a new day, or a late tick."""
        cur, prev = st.cur, st.prev
        if ts >= cur.end:
            s = self._new_session(ticker, ts, price, provider)
            if cur is not _NO_SESSION:
                if cur.day >= s.prev_day:
                    s.own_pc = cur.last
                st.prev = cur
            st.cur = s
            return s
        if prev is not None and prev.start <= ts < prev.end:
            return prev
        s = self._new_session(ticker, ts, price, provider)
        if prev is None or s.start >= prev.end:
            st.prev = s
        return s

    def _new_session(self, ticker: str, ts: int, price: float, provider: str) -> _Session:
        day, start, end = self.alignment.session_day(ticker, ts)
        s = _Session(day, start, end, price, ts, provider)
        s.prev_day = self.alignment.previous_session_day(ticker, day)
        return s

    @staticmethod
    def _after_late(st: _Ticker) -> None:
        # A late tick of the previous session may have moved its close, our next prev_close.
        prev, cur = st.prev, st.cur
        if prev is not None and cur is not _NO_SESSION and prev.day >= cur.prev_day:
            cur.own_pc = prev.last

    def _quote(self, ticker: str, st: _Ticker) -> dict[str, Any]:
        s = st.cur
        bid, ask, bid_size, ask_size = st.book[6:10] if st.book else (None, None, None, None)
        # Without a book side, the last price stands in for it, keeping bid <= ask.
        if ask is None:
            ask = max(s.last, bid) if bid is not None else s.last
        if bid is None:
            bid = min(s.last, ask)
        pc = s.tick_pc or s.own_pc or st.seed_pc
        q = Quote(ticker=ticker, time=us_to_datetime(s.last_ts), price=s.last, bid=bid, ask=ask,
                  bid_size=bid_size or 0, ask_size=ask_size or 0, volume=s.volume, open=s.open,
                  high=s.high, low=s.low, prev_close=pc or s.last, provider=s.provider)
        inst = self.instrument_of(ticker) if self.instrument_of is not None else None
        if inst is None:
            wire = quote_to_wire(q, currency="", exchange="")
            del wire["currency"], wire["exchange"]
        else:
            wire = quote_to_wire(q, currency=inst.currency, exchange=inst.exchange)
        if pc is None:
            wire["prev_close"] = wire["change"] = wire["change_pct"] = None
        return wire
