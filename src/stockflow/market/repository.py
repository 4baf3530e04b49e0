"""MarketStore on SQL: instruments, OHLCV bars and quotes. All market SQL lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockflow.core.ports import Database
from stockflow.market.domain import AssetClass, Bar, Instrument, Interval, Quote
from stockflow.market.tables import instruments, ohlcv, quotes

_BAR_COLUMNS = ("ticker", "interval", "time", "open", "high", "low", "close", "volume", "provider")
_QUOTE_COLUMNS = ("ticker", "time", "price", "bid", "ask", "bid_size", "ask_size", "volume",
                  "open", "high", "low", "prev_close", "provider")
_INSTRUMENT_COLUMNS = (instruments.c.ticker, instruments.c.name, instruments.c.exchange,
                       instruments.c.asset_class, instruments.c.currency, instruments.c.sector,
                       instruments.c.industry, instruments.c.market_cap, instruments.c.metadata)


def _read_bars_statement(lower: str | None, upper: bool) -> sa.Select[Any]:
    """One of the six shapes of the read_bars query, all served by the (ticker, interval, time) key.

    Built once per shape with bind parameters, so every call reuses SQLAlchemy's compiled form
    (and asyncpg's prepared statement) instead of building a new expression tree.
    """
    c = ohlcv.c
    stmt = (sa.select(c.time, c.open, c.high, c.low, c.close, c.volume, c.provider)
            .where(c.ticker == sa.bindparam("ticker"), c.interval == sa.bindparam("interval")))
    if lower == ">=":
        stmt = stmt.where(c.time >= sa.bindparam("lower", type_=c.time.type))
    elif lower == ">":
        stmt = stmt.where(c.time > sa.bindparam("lower", type_=c.time.type))
    if upper:
        stmt = stmt.where(c.time < sa.bindparam("upper", type_=c.time.type))
    return stmt.order_by(c.time).limit(sa.bindparam("limit", type_=sa.Integer))


_READ_BARS = {(lower, upper): _read_bars_statement(lower, upper)
              for lower in (None, ">=", ">") for upper in (False, True)}

_LAST_BARS = (sa.select(ohlcv.c.time, ohlcv.c.open, ohlcv.c.high, ohlcv.c.low, ohlcv.c.close,
                       ohlcv.c.volume, ohlcv.c.provider)
              .where(ohlcv.c.ticker == sa.bindparam("ticker"),
                     ohlcv.c.interval == sa.bindparam("interval"),
                     ohlcv.c.time < sa.bindparam("before", type_=ohlcv.c.time.type))
              .order_by(ohlcv.c.time.desc()).limit(sa.bindparam("limit", type_=sa.Integer)))

_BAR_SPAN = sa.select(
    sa.select(ohlcv.c.time).where(ohlcv.c.ticker == sa.bindparam("ticker"),
                                  ohlcv.c.interval == sa.bindparam("interval"))
    .order_by(ohlcv.c.time.asc()).limit(1).scalar_subquery(),
    sa.select(ohlcv.c.time).where(ohlcv.c.ticker == sa.bindparam("ticker"),
                                  ohlcv.c.interval == sa.bindparam("interval"))
    .order_by(ohlcv.c.time.desc()).limit(1).scalar_subquery(),
)

_LATEST_QUOTE = (sa.select(*(quotes.c[name] for name in _QUOTE_COLUMNS))
                 .where(quotes.c.ticker == sa.bindparam("ticker"))
                 .order_by(quotes.c.time.desc()).limit(1))

_ALL_INSTRUMENTS = sa.select(*_INSTRUMENT_COLUMNS).order_by(instruments.c.ticker)
_ONE_INSTRUMENT = sa.select(*_INSTRUMENT_COLUMNS).where(
    instruments.c.ticker == sa.bindparam("ticker"))


class SqlMarketStore:
    """The MarketStore port on a Database (SQLite or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- instruments -------------------------------------------------------------------------

    async def upsert_instruments(self, items: Sequence[Instrument]) -> int:
        if not items:
            return 0
        now = datetime.now(UTC)
        rows = [{"ticker": i.ticker, "name": i.name, "exchange": i.exchange,
                 "asset_class": str(i.asset_class), "currency": i.currency, "sector": i.sector,
                 "industry": i.industry, "market_cap": int(i.market_cap),
                 "metadata": dict(i.metadata), "updated_at": now} for i in items]
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        stmt = insert(instruments)
        stmt = stmt.on_conflict_do_update(
            index_elements=[instruments.c.ticker],
            set_={c.name: stmt.excluded[c.name] for c in instruments.c if c.name != "ticker"},
        )
        async with self.db.engine.begin() as conn:
            await conn.execute(stmt, rows)
        return len(rows)

    async def list_instruments(self) -> list[Instrument]:
        async with self.db.engine.connect() as conn:
            result = await conn.execute(_ALL_INSTRUMENTS)
            return [_instrument(row) for row in result.all()]

    async def get_instrument(self, ticker: str) -> Instrument | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(_ONE_INSTRUMENT, {"ticker": ticker})).first()
        return _instrument(row) if row is not None else None

    # -- bars --------------------------------------------------------------------------------

    async def write_bars(self, bars: Sequence[Bar]) -> int:
        rows = [(b.ticker, b.interval.value, b.time, float(b.open), float(b.high), float(b.low),
                 float(b.close), int(b.volume), b.provider) for b in bars]
        return await self.db.bulk_insert("ohlcv", _BAR_COLUMNS, rows,
                                         conflict_keys=("ticker", "interval", "time"))

    async def read_bars(self, ticker: str, interval: Interval, start: datetime | None,
                        end: datetime | None, limit: int, after: datetime | None = None,
                        ) -> list[Bar]:
        """Bars with start <= time < end (and time > after), oldest first, at most `limit`."""
        if limit <= 0:
            return []
        interval = Interval(interval)
        params: dict[str, Any] = {"ticker": ticker, "interval": interval.value, "limit": limit}
        # `after` is a pagination cursor; it narrows `start` whenever it lies at or beyond it.
        if after is not None and (start is None or _utc(after) >= _utc(start)):
            lower, params["lower"] = ">", after
        elif start is not None:
            lower, params["lower"] = ">=", start
        else:
            lower = None
        if end is not None:
            params["upper"] = end
        async with self.db.engine.connect() as conn:
            result = await conn.execute(_READ_BARS[lower, end is not None], params)
            return [Bar(ticker, interval, t, o, h, lo, c, v, p)
                    for t, o, h, lo, c, v, p in result.all()]

    async def last_bars(self, ticker: str, interval: Interval, before: datetime, limit: int,
                        ) -> list[Bar]:
        """The `limit` newest bars with time < before, oldest first (a backward index scan)."""
        interval = Interval(interval)
        params = {"ticker": ticker, "interval": interval.value, "before": before, "limit": limit}
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(_LAST_BARS, params)).all()
        return [Bar(ticker, interval, t, o, h, lo, c, v, p)
                for t, o, h, lo, c, v, p in reversed(rows)]

    async def bar_span(self, ticker: str, interval: Interval) -> tuple[datetime, datetime] | None:
        async with self.db.engine.connect() as conn:
            first, last = (await conn.execute(
                _BAR_SPAN, {"ticker": ticker, "interval": Interval(interval).value})).one()
        return None if first is None else (first, last)

    # -- quotes ------------------------------------------------------------------------------

    async def write_quotes(self, items: Sequence[Quote]) -> int:
        rows = [(q.ticker, q.time, float(q.price), float(q.bid), float(q.ask), int(q.bid_size),
                 int(q.ask_size), int(q.volume), float(q.open), float(q.high), float(q.low),
                 float(q.prev_close), q.provider) for q in items]
        return await self.db.bulk_insert("quotes", _QUOTE_COLUMNS, rows,
                                         conflict_keys=("ticker", "time"))

    async def latest_quote(self, ticker: str) -> Quote | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(_LATEST_QUOTE, {"ticker": ticker})).first()
        return Quote(*row) if row is not None else None


def _instrument(row: sa.Row[Any]) -> Instrument:
    ticker, name, exchange, asset_class, currency, sector, industry, market_cap, meta = row
    return Instrument(ticker, name, exchange, AssetClass(asset_class), currency, sector, industry,
                      market_cap, meta or {})


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
