"""StockFlow NSE tickers ↔ Dhan (exchange segment, security id).

Dhan addresses instruments by numeric security id per segment, from its scrip master
(https://images.dhan.co/api-data/api-scrip-master.csv). The universe's NSE names are built in;
any instrument can also be named directly as "SEGMENT:ID" (e.g. "NSE_FNO:49081").
"""

from __future__ import annotations

from stockflow.market.assets import nse_symbol
from stockflow.market.domain import normalise_ticker

NSE_EQ_IDS: dict[str, int] = {
    "RELIANCE": 2885,
    "TCS": 11536,
    "INFY": 1594,
    "HDFCBANK": 1333,
    "ICICIBANK": 4963,
    "SBIN": 3045,
    "ITC": 1660,
    "HINDUNILVR": 1394,
    "LT": 11483,
    "BHARTIARTL": 10604,
}
_BY_ID = {v: k for k, v in NSE_EQ_IDS.items()}
SEGMENTS = ("IDX_I", "NSE_EQ", "NSE_FNO", "NSE_CURRENCY", "BSE_EQ", "MCX_COMM", "BSE_CURRENCY",
            "BSE_FNO")
# The live feed's numeric segment byte (live_feed_binary_layout.md).
SEGMENT_CODES = {0: "IDX_I", 1: "NSE_EQ", 2: "NSE_FNO", 3: "NSE_CURRENCY", 4: "BSE_EQ",
                 5: "MCX_COMM", 7: "BSE_CURRENCY", 8: "BSE_FNO"}


def to_vendor(ticker: str) -> tuple[str, int] | None:
    t = normalise_ticker(ticker)
    seg, colon, sid = t.partition(":")
    if colon and seg in SEGMENTS and sid.isdigit():
        return seg, int(sid)
    name = nse_symbol(t)
    if name is not None and name in NSE_EQ_IDS:
        return "NSE_EQ", NSE_EQ_IDS[name]
    return None


def from_vendor(segment: str, security_id: int | str) -> str:
    """("NSE_EQ", 11536) → TCS; anything outside the map → "SEGMENT:ID"."""
    sid = int(security_id)
    if segment == "NSE_EQ" and sid in _BY_ID:
        return _BY_ID[sid]
    return f"{segment}:{sid}"
