"""Pure Dhan v2 parsers: marketfeed ltp/ohlc/quote bodies → Quotes, live-feed binary packets →
raw ticks. Bodies are {"data": {SEGMENT: {"<security id>": {...}}}, "status": "success"}.

In `ohlc`, Dhan's "close" is the previous session's close (during market hours it is not today's
close), so it becomes `prev_close`; zeros mean "no trade yet" and stay 0 (= not provided).
"""

from __future__ import annotations

import struct
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from stockflow.adapters.providers import values as v
from stockflow.adapters.providers.dhan.symbols import SEGMENT_CODES
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderError,
    ProviderUnavailable,
)
from stockflow.market.domain import Quote

NAME = "dhan"
IST = ZoneInfo("Asia/Kolkata")
_NO_TRADE_TIME = "01/01/1980 00:00:00"  # Dhan's placeholder when there is no last trade


def _row(body: Any, segment: str, security_id: int) -> dict:
    if not isinstance(body, dict) or body.get("status") != "success":
        raise ProviderBadData(NAME, f"status is not success: {str(body)[:120]}")
    data = body.get("data")
    if not isinstance(data, dict) or not data:
        raise ProviderBadData(NAME, "empty data")
    row = (data.get(segment) or {}).get(str(security_id))
    if not isinstance(row, dict):
        raise ProviderBadData(NAME, f"no {segment}:{security_id} in answer")
    return row


def quote(body: Any, ticker: str, segment: str, security_id: int, now: datetime) -> Quote:
    """One Quote from a /marketfeed/ltp, /ohlc or /quote body (whichever fields are present).

    Book: the first depth level of /quote; a side with price 0 (empty) falls back to the last
    price with size 0. Time: last_trade_time (IST) when real, otherwise `now`.
    """
    r = _row(body, segment, security_id)
    last = v.price(NAME, r.get("last_price"), "last_price")
    ohlc = r.get("ohlc") or {}
    bid = ask = None
    bid_size = ask_size = 0
    depth = r.get("depth") or {}
    if depth.get("buy"):
        top = depth["buy"][0]
        bid, bid_size = v.number(NAME, top.get("price"), "bid"), v.size(NAME, top.get("quantity"))
    if depth.get("sell"):
        top = depth["sell"][0]
        ask, ask_size = v.number(NAME, top.get("price"), "ask"), v.size(NAME, top.get("quantity"))
    if not bid:
        bid_size = 0
    if not ask:
        ask_size = 0
    return v.quote(
        NAME, ticker, _trade_time(r.get("last_trade_time"), now), last, bid=bid, ask=ask,
        bid_size=bid_size, ask_size=ask_size, volume=v.size(NAME, r.get("volume") or 0, "volume"),
        open=v.number(NAME, ohlc.get("open", 0), "open"),
        high=v.number(NAME, ohlc.get("high", 0), "high"),
        low=v.number(NAME, ohlc.get("low", 0), "low"),
        prev_close=v.number(NAME, ohlc.get("close", 0), "close"))


def _trade_time(raw: Any, now: datetime) -> datetime:
    if not raw or raw == _NO_TRADE_TIME:
        return now
    try:
        return datetime.strptime(str(raw), "%d/%m/%Y %H:%M:%S").replace(tzinfo=IST)
    except ValueError:
        raise ProviderBadData(NAME, f"bad last_trade_time {raw!r}") from None


# -- live feed (binary, little-endian; see fixtures/payloads/dhan/live_feed_binary_layout.md) --

_HEADER = struct.Struct("<BHBI")
_TICKER = struct.Struct("<BHBIfI")            # 16 bytes, code 2 (and prev close, code 6)
_QUOTE = struct.Struct("<BHBIfHIfIIIffff")    # 50 bytes, code 4
_FULL = struct.Struct("<BHBIfHIfIIIIIIffff")  # 62 bytes + 5 × 20 depth = 162, code 8
_DEPTH = struct.Struct("<IIHHff")
_DISCONNECT = struct.Struct("<BHBIH")
_AUTH_REASONS = {806, 807, 808, 809}


def packet(data: bytes, seq: int) -> dict[str, Any] | None:
    """One binary live-feed packet → a raw tick dict, or a prev-close record, or None.

    Ticker (2), Quote (4) and Full (8) packets become raw ticks in the pipeline's wire format;
    the feed carries no sequence number, so `seq` comes from the caller: the receive time in
    epoch microseconds, kept strictly increasing by the feed (`DhanLiveFeed._next_seq`), so it
    stays unique across reconnects and restarts. LTT is epoch seconds, read as UTC as the official client does. Prev close (6)
    becomes {"type": "prev_close", "symbol", "prev_close"}. Disconnection (50) raises:
    806–809 as ProviderAuthError, others as ProviderUnavailable. Other packets → None.
    """
    if len(data) < _HEADER.size:
        raise ProviderBadData(NAME, f"packet of {len(data)} bytes is shorter than its header")
    code, _length, seg, sid = _HEADER.unpack_from(data)
    symbol = f"{SEGMENT_CODES.get(seg, str(seg))}:{sid}"
    try:
        if code == 2:
            _, _, _, _, ltp, ltt = _TICKER.unpack_from(data)
            return _tick(symbol, seq, ltt, ltp, 0)
        if code == 4:
            _, _, _, _, ltp, ltq, ltt, *_ = _QUOTE.unpack_from(data)
            return _tick(symbol, seq, ltt, ltp, ltq)
        if code == 8:
            fields = _FULL.unpack_from(data)
            ltp, ltq, ltt = fields[4], fields[5], fields[6]
            bid_qty, ask_qty, _, _, bid, ask = _DEPTH.unpack_from(data, _FULL.size)
            tick = _tick(symbol, seq, ltt, ltp, ltq)
            if bid > 0 and ask > 0:
                tick |= {"bid": round(float(bid), 2), "ask": round(float(ask), 2), "bid_size": bid_qty,
                         "ask_size": ask_qty}
            return tick
        if code == 6:
            _, _, _, _, prev, _oi = _TICKER.unpack_from(data)
            return {"type": "prev_close", "provider": NAME, "symbol": symbol,
                    "prev_close": round(float(prev), 2)}  # float32, as _tick
        if code == 50:
            reason = _DISCONNECT.unpack_from(data)[4]
            err: type[ProviderError] = (ProviderAuthError if reason in _AUTH_REASONS
                                        else ProviderUnavailable)
            raise err(NAME, f"feed disconnected by server, reason {reason}")
    except struct.error as e:
        raise ProviderBadData(NAME, f"packet code {code} truncated: {e}") from None
    return None


def _tick(symbol: str, seq: int, ltt: int, ltp: float, size: int) -> dict[str, Any]:
    # float32 on the wire: round to paise so 2520.1 does not arrive as 2520.10009765625.
    return {"provider": NAME, "symbol": symbol, "seq": seq, "ts": int(ltt) * 1_000_000,
            "price": v.price(NAME, round(float(ltp), 2), "ltp"), "size": int(size),
            "bid": None, "ask": None, "bid_size": None, "ask_size": None, "prev_close": None}
