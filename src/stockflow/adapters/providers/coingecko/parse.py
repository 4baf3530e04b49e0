"""Pure CoinGecko parsers: /simple/price, /coins/markets, /coins/{id}/market_chart → domain types.

OHLC from a price series: CoinGecko's market_chart gives (time, price) samples, not candles
(5-minute for days=1, hourly for 2–90 days, daily above). Samples are grouped into buckets of the
requested interval by their start time; open = first sample, close = last, high/low = max/min.
A bucket with one sample is a flat bar. `total_volumes` is a rolling 24 h volume in the quote
currency, so only daily bars get a volume: the bucket's last 24 h volume divided by its close
(base units, approximate); intraday bars carry volume 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stockflow.adapters.providers import values as v
from stockflow.adapters.providers.coingecko.symbols import from_vendor
from stockflow.core.resilience.errors import ProviderBadData, ProviderNotFound
from stockflow.market.domain import AssetClass, Bar, Instrument, Interval, Quote

NAME = "coingecko"


def simple_price_quote(body: Any, ticker: str, coin: str, vs: str, now: datetime) -> Quote:
    """One Quote from a /simple/price body requested with include_24hr_* flags.

    prev_close is the price 24 h ago, derived from `<vs>_24h_change`; volume is the 24 h volume
    in base units (`<vs>_24h_vol` / price). No book: bid = ask = price.
    """
    if not isinstance(body, dict) or not body:
        raise ProviderBadData(NAME, "empty /simple/price answer")
    row = body.get(coin)
    if not isinstance(row, dict) or vs not in row:
        raise ProviderBadData(NAME, f"no {coin}/{vs} in answer (got {sorted(body)[:5]})")
    last = v.price(NAME, row[vs], f"{coin}.{vs}")
    prev = 0.0
    if row.get(f"{vs}_24h_change") is not None:
        change = v.number(NAME, row[f"{vs}_24h_change"], f"{vs}_24h_change")
        if change > -100.0:
            prev = last / (1.0 + change / 100.0)
    volume = 0
    if row.get(f"{vs}_24h_vol") is not None:
        volume = int(v.number(NAME, row[f"{vs}_24h_vol"], f"{vs}_24h_vol") / last)
    updated = row.get("last_updated_at")
    time = v.from_seconds(v.number(NAME, updated, "last_updated_at")) if updated else now
    return v.quote(NAME, ticker, time, last, volume=volume, prev_close=prev)


def rates(body: Any, ids: list[str], vs: list[str]) -> dict[str, dict[str, float]]:
    """/simple/price as {id: {vs: price, "<vs>_24h_change": pct, …}}, every requested pair checked.

    Ids CoinGecko does not know are absent from its answer; they are absent here too, so the
    caller can say which. A present id with a missing or non-positive price is bad data.
    """
    if not isinstance(body, dict):
        raise ProviderBadData(NAME, "expected an object from /simple/price")
    out: dict[str, dict[str, float]] = {}
    for coin in ids:
        row = body.get(coin)
        if row is None:
            continue
        if not isinstance(row, dict):
            raise ProviderBadData(NAME, f"{coin}: expected an object")
        clean: dict[str, float] = {}
        for cur in vs:
            clean[cur] = v.price(NAME, v.field(NAME, row, cur, coin), f"{coin}.{cur}")
        for key, val in row.items():
            if key not in clean and val is not None:
                clean[key] = v.number(NAME, val, f"{coin}.{key}")
        out[coin] = clean
    if ids and not out:
        # Unknown ids are the caller's mistake, not the vendor's: no breaker should count them.
        raise ProviderNotFound(NAME, f"none of {ids} in /simple/price answer")
    return out


def markets_quotes(body: Any, vs: str) -> list[Quote]:
    """/coins/markets rows → Quotes for coins in the symbol map (others skipped)."""
    rows = _rows(body)
    out = []
    for row in rows:
        ticker = from_vendor(str(row.get("id")), vs)
        if ticker is None:
            continue
        last = v.price(NAME, v.field(NAME, row, "current_price", "market row"), "current_price")
        change = row.get("price_change_24h")
        prev = last - v.number(NAME, change, "price_change_24h") if change is not None else 0.0
        updated = row.get("last_updated")
        time = datetime.fromisoformat(updated) if updated else None
        if time is None:
            raise ProviderBadData(NAME, f"{ticker}: no last_updated")
        volume = row.get("total_volume")
        out.append(v.quote(
            NAME, ticker, time, last,
            volume=int(v.number(NAME, volume, "total_volume") / last) if volume else 0,
            high=v.number(NAME, row.get("high_24h") or 0, "high_24h"),
            low=v.number(NAME, row.get("low_24h") or 0, "low_24h"),
            prev_close=prev if prev > 0 else 0.0))
    return out


def markets_instruments(body: Any, vs: str) -> list[Instrument]:
    """/coins/markets rows → Instruments (every row, mapped or not: the vendor's universe)."""
    out = []
    for row in _rows(body):
        sym = str(v.field(NAME, row, "symbol", "market row")).upper()
        out.append(Instrument(
            ticker=f"{sym}-{vs.upper()}", name=str(row.get("name") or sym), exchange="CRYPTO",
            asset_class=AssetClass.CRYPTO, currency=vs.upper(), sector="Crypto", industry="",
            market_cap=int(v.number(NAME, row.get("market_cap") or 0, "market_cap")),
            metadata={"coingecko_id": row.get("id"), "rank": row.get("market_cap_rank")}))
    return out


def market_chart_bars(body: Any, ticker: str, interval: Interval) -> list[Bar]:
    """/coins/{id}/market_chart → Bars of `interval`, derived as the module docstring says."""
    if not isinstance(body, dict):
        raise ProviderBadData(NAME, "expected an object from market_chart")
    prices = v.field(NAME, body, "prices", "market_chart")
    if not isinstance(prices, list):
        raise ProviderBadData(NAME, "market_chart prices is not a list")
    volumes = {int(p[0]): p[1] for p in body.get("total_volumes") or [] if _pair(p)}
    step = int(interval.delta.total_seconds() * 1000)
    buckets: dict[int, list[tuple[int, float]]] = {}
    for point in prices:
        if not _pair(point):
            raise ProviderBadData(NAME, f"bad price point {point!r}")
        ms = int(point[0])
        buckets.setdefault(ms - ms % step, []).append((ms, v.price(NAME, point[1], "price")))
    bars = []
    for start in sorted(buckets):
        pts = sorted(buckets[start])
        ps = [p for _, p in pts]
        volume = 0
        if interval is Interval.D1 and pts[-1][0] in volumes:
            volume = int(v.number(NAME, volumes[pts[-1][0]], "total_volume") / ps[-1])
        bars.append(Bar(ticker, interval, v.from_ms(start), ps[0], max(ps), min(ps), ps[-1],
                        volume, NAME))
    return bars


def _rows(body: Any) -> list[dict]:
    if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
        raise ProviderBadData(NAME, "expected a list of objects from /coins/markets")
    return body


def _pair(p: Any) -> bool:
    return isinstance(p, list) and len(p) == 2 and isinstance(p[0], (int, float))
