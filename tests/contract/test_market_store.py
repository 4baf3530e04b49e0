"""MarketStore + Database contract, run on every SQL adapter (SQLite file, PostgreSQL schema)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core.ports import Database
from stockflow.market.domain import AssetClass, Bar, Instrument, Interval, Quote
from stockflow.market.ports import MarketStore
from stockflow.market.repository import SqlMarketStore
from tests.contract.conftest import MIGRATIONS

T0 = datetime(2024, 3, 1, 14, 30, 0, 123456, tzinfo=UTC)


def make_bars(ticker: str = "AAPL", interval: Interval = Interval.M1, n: int = 10,
              start: datetime = T0, provider: str = "simulated") -> list[Bar]:
    step = interval.delta
    return [
        Bar(ticker, interval, start + i * step, open=100.0 + i / 3, high=101.5 + i / 3,
            low=99.25 + i / 7, close=100.123456789 + i, volume=1_000 + i * 2**33,
            provider=provider)
        for i in range(n)
    ]


def make_quote(ticker: str, time: datetime, price: float) -> Quote:
    return Quote(ticker, time, price, bid=price - 0.01, ask=price + 0.01, bid_size=100,
                 ask_size=200, volume=12_345_678_901, open=price - 1, high=price + 2,
                 low=price - 2, prev_close=price - 0.5, provider="simulated")


def apple(**changes) -> Instrument:
    fields = {"ticker": "AAPL", "name": "Apple Inc.", "exchange": "XNAS",
              "asset_class": AssetClass.EQUITY, "currency": "USD", "sector": "Technology",
              "industry": "Consumer Electronics", "market_cap": 3_400_000_000_000,
              "metadata": {"isin": "US0378331005"}}
    fields.update(changes)
    return Instrument(**fields)


# -- Database ------------------------------------------------------------------------------------

async def test_implements_ports(database: SqlDatabase, store: SqlMarketStore) -> None:
    assert isinstance(database, Database)
    assert isinstance(store, MarketStore)
    assert database.dialect in ("sqlite", "postgresql")


async def test_migrate_is_idempotent(database: SqlDatabase, store: SqlMarketStore) -> None:
    await store.write_bars(make_bars(n=3))
    # With the contexts' folders, as every process migrates: the database knows their heads.
    await database.migrate(MIGRATIONS)
    await database.migrate(MIGRATIONS)
    assert len(await store.read_bars("AAPL", Interval.M1, None, None, 100)) == 3


async def test_ping(database: SqlDatabase) -> None:
    assert await database.ping() is True


async def test_ping_is_false_when_not_connected(database: SqlDatabase) -> None:
    other = SqlDatabase(database.url)
    assert await other.ping() is False


@pytest.mark.parametrize("expect_conflicts", [True, False])
async def test_bulk_insert_counts_only_new_rows(database: SqlDatabase,
                                                expect_conflicts: bool) -> None:
    cols = ("ticker", "time", "price", "bid", "ask", "bid_size", "ask_size", "volume", "open",
            "high", "low", "prev_close", "provider")
    row = ("MSFT", T0, 1.0, 0.9, 1.1, 1, 1, 1, 1.0, 1.0, 1.0, 1.0, "x")
    later = ("MSFT", T0 + timedelta(seconds=1), *row[2:])
    # A duplicate inside one batch is stored once.
    keys = ("ticker", "time")

    async def insert(rows: list[tuple]) -> int:
        return await database.bulk_insert("quotes", cols, rows, conflict_keys=keys,
                                          expect_conflicts=expect_conflicts)

    assert await insert([row, row]) == 1
    assert await insert([row, later]) == 1
    assert await insert([]) == 0
    # Big enough for PostgreSQL's COPY path; `row` and `later` are among them, every row twice.
    many = [("MSFT", T0 + timedelta(milliseconds=i), *row[2:]) for i in range(1500)]
    assert await insert(many[:750]) == 749
    assert await insert(many + many) == 749
    # New rows only: with expect_conflicts=False, PostgreSQL's straight COPY takes them all.
    fresh = [("MSFT", T0 + timedelta(seconds=10, milliseconds=i), *row[2:]) for i in range(900)]
    assert await insert(fresh) == 900
    assert await insert(fresh) == 0


# -- instruments ---------------------------------------------------------------------------------

async def test_instruments_upsert_list_get(store: SqlMarketStore) -> None:
    btc = Instrument("BTC-USD", "Bitcoin", "CRYPTO", AssetClass.CRYPTO, "USD", "", "", 0)
    spy = Instrument("SPY", "SPDR S&P 500", "XNYS", AssetClass.ETF, "USD", "Index", "Index",
                     500_000_000_000, {"tags": ["etf", "index"], "weight": 0.5})
    assert await store.upsert_instruments([spy, apple(), btc]) == 3

    listed = await store.list_instruments()
    assert [i.ticker for i in listed] == ["AAPL", "BTC-USD", "SPY"]
    assert listed[2] == spy and listed[2].metadata == spy.metadata
    got = await store.get_instrument("AAPL")
    assert got == apple() and got.metadata == {"isin": "US0378331005"}
    assert got.asset_class is AssetClass.EQUITY
    assert await store.get_instrument("NOPE") is None


async def test_instruments_upsert_updates_in_place(store: SqlMarketStore) -> None:
    await store.upsert_instruments([apple()])
    changed = apple(name="Apple", market_cap=1, metadata={"isin": "X"})
    assert await store.upsert_instruments([changed]) == 1
    listed = await store.list_instruments()
    assert len(listed) == 1
    assert listed[0] == changed and listed[0].metadata == {"isin": "X"}
    assert await store.upsert_instruments([]) == 0


# -- bars ----------------------------------------------------------------------------------------

async def test_bars_round_trip_exactly(store: SqlMarketStore) -> None:
    bars = make_bars(n=5)
    assert await store.write_bars(bars) == 5
    read = await store.read_bars("AAPL", Interval.M1, None, None, 100)
    assert read == bars
    for got, want in zip(read, bars, strict=True):
        assert got.time.utcoffset() == timedelta(0) and got.time.microsecond == 123456
        assert got.close == want.close and got.volume == want.volume
        assert got.interval is Interval.M1


async def test_non_utc_times_are_stored_as_the_same_instant(store: SqlMarketStore) -> None:
    plus5 = timezone(timedelta(hours=5))
    bar = make_bars(n=1, start=T0.astimezone(plus5))[0]
    await store.write_bars([bar])
    (read,) = await store.read_bars("AAPL", Interval.M1, T0, T0 + timedelta(seconds=1), 10)
    assert read.time == T0 and read.time.utcoffset() == timedelta(0)


async def test_duplicate_bar_write_is_ignored(store: SqlMarketStore) -> None:
    bars = make_bars(n=20)
    assert await store.write_bars(bars) == 20
    assert await store.write_bars(bars) == 0
    assert await store.write_bars(make_bars(n=25)) == 5
    assert len(await store.read_bars("AAPL", Interval.M1, None, None, 1000)) == 25
    assert await store.write_bars([]) == 0


async def test_read_range_is_start_inclusive_end_exclusive(store: SqlMarketStore) -> None:
    bars = make_bars(n=10)
    await store.write_bars(bars)
    read = await store.read_bars("AAPL", Interval.M1, bars[2].time, bars[6].time, 100)
    assert [b.time for b in read] == [b.time for b in bars[2:6]]
    # One microsecond either side moves the bounds past a bar.
    tick = timedelta(microseconds=1)
    read = await store.read_bars("AAPL", Interval.M1, bars[2].time + tick, bars[6].time + tick, 100)
    assert [b.time for b in read] == [b.time for b in bars[3:7]]
    assert await store.read_bars("AAPL", Interval.M1, bars[5].time, bars[5].time, 100) == []
    assert await store.read_bars("AAPL", Interval.M1, None, bars[3].time, 100) == bars[:3]
    assert await store.read_bars("AAPL", Interval.M1, bars[7].time, None, 100) == bars[7:]
    assert await store.read_bars("MSFT", Interval.M1, None, None, 100) == []


async def test_limit_and_after_cursor_walk_every_page(store: SqlMarketStore) -> None:
    bars = make_bars(n=23)
    await store.write_bars(bars)
    start, end = bars[1].time, bars[21].time  # bars[1:21]: 20 bars
    pages: list[list[Bar]] = []
    after = None
    while True:
        page = await store.read_bars("AAPL", Interval.M1, start, end, 7, after=after)
        if not page:
            break
        assert len(page) <= 7
        pages.append(page)
        after = page[-1].time
    assert [len(p) for p in pages] == [7, 7, 6]
    assert [b for p in pages for b in p] == bars[1:21]
    assert await store.read_bars("AAPL", Interval.M1, None, None, 0) == []
    # A cursor before `start` does not widen the range.
    early = bars[0].time - timedelta(days=1)
    assert await store.read_bars("AAPL", Interval.M1, start, end, 2, after=early) == bars[1:3]
    tail = await store.read_bars("AAPL", Interval.M1, None, None, 5, after=bars[20].time)
    assert tail == bars[21:]


async def test_intervals_and_tickers_are_kept_apart(store: SqlMarketStore) -> None:
    minute = make_bars(interval=Interval.M1, n=5)
    daily = make_bars(interval=Interval.D1, n=3)  # same first timestamp as the minute bars
    other = make_bars(ticker="MSFT", interval=Interval.M1, n=4)
    assert await store.write_bars(minute + daily + other) == 12
    assert await store.read_bars("AAPL", Interval.M1, None, None, 100) == minute
    assert await store.read_bars("AAPL", Interval.D1, None, None, 100) == daily
    assert await store.read_bars("MSFT", Interval.M1, None, None, 100) == other
    assert await store.read_bars("AAPL", Interval.H1, None, None, 100) == []


async def test_bar_span(store: SqlMarketStore) -> None:
    assert await store.bar_span("AAPL", Interval.D1) is None
    bars = make_bars(interval=Interval.D1, n=30)
    await store.write_bars(list(reversed(bars)))
    await store.write_bars(make_bars(interval=Interval.M1, start=T0 - timedelta(days=400), n=2))
    first, last = await store.bar_span("AAPL", Interval.D1)
    assert (first, last) == (bars[0].time, bars[-1].time)
    assert first.tzinfo is not None and last.utcoffset() == timedelta(0)


@pytest.mark.slow
async def test_bulk_insert_100k_bars(store: SqlMarketStore) -> None:
    tickers = [f"T{i:03d}" for i in range(10)]
    bars = [bar for t in tickers for bar in make_bars(ticker=t, n=10_000)]
    assert await store.write_bars(bars) == 100_000
    assert await store.write_bars(bars[:1000]) == 0
    read = await store.read_bars("T007", Interval.M1, None, None, 20_000)
    assert read == bars[70_000:80_000]
    total = 0
    for t in tickers:
        total += len(await store.read_bars(t, Interval.M1, None, None, 20_000))
    assert total == 100_000


# -- quotes --------------------------------------------------------------------------------------

async def test_quotes_are_idempotent_and_latest_wins(store: SqlMarketStore) -> None:
    assert await store.latest_quote("AAPL") is None
    quotes = [make_quote("AAPL", T0 + timedelta(seconds=s), 190.0 + s) for s in (3, 1, 2)]
    quotes.append(make_quote("MSFT", T0 + timedelta(seconds=10), 410.5))
    assert await store.write_quotes(quotes) == 4
    assert await store.write_quotes(quotes) == 0
    latest = await store.latest_quote("AAPL")
    assert latest == quotes[0]
    assert latest.time.utcoffset() == timedelta(0) and latest.time.microsecond == 123456
    assert await store.latest_quote("MSFT") == quotes[3]
    assert await store.write_quotes([]) == 0


async def test_last_bars_are_the_newest_before_an_instant_oldest_first(store: SqlMarketStore
                                                                        ) -> None:
    bars = make_bars(n=10)
    await store.write_bars(bars)
    assert await store.last_bars("AAPL", Interval.M1, bars[6].time, 3) == bars[3:6]
    assert await store.last_bars("AAPL", Interval.M1, bars[0].time, 3) == []
    assert await store.last_bars("AAPL", Interval.M1, bars[9].time + timedelta(days=1), 50) == bars
