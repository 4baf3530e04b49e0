"""The names an article may call an instrument by: ticker, legal name, short names and aliases."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Legal-form words dropped to get the name people write ("NVIDIA Corporation" → "NVIDIA").
_SUFFIXES = re.compile(
    r",?\s+(inc\.?|incorporated|corporation|corp\.?|company|co\.?|limited|ltd\.?|plc|"
    r"group|holdings|trust|platforms|& co\.?|\(class [a-z]\))\s*$", re.IGNORECASE)
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)

# Names in common use that no rule derives from the legal name. Written for StockFlow.
EXTRA_ALIASES: Mapping[str, tuple[str, ...]] = {
    "GOOGL": ("Google", "Alphabet"), "META": ("Facebook", "Meta", "Instagram"),
    "NVDA": ("Nvidia",), "AMD": ("AMD",), "AMZN": ("Amazon", "AWS"),
    "JNJ": ("J&J",), "PG": ("P&G", "Procter & Gamble"), "KO": ("Coca-Cola", "Coke"),
    "GS": ("Goldman Sachs", "Goldman"), "BAC": ("BofA", "Bank of America"),
    "JPM": ("JPMorgan", "JP Morgan", "J.P. Morgan"), "XOM": ("Exxon", "ExxonMobil"),
    "LLY": ("Eli Lilly", "Lilly"), "UNH": ("UnitedHealth",), "DIS": ("Disney",),
    "BA": ("Boeing",), "CAT": ("Caterpillar",), "WMT": ("Walmart",), "CRM": ("Salesforce",),
    "TSLA": ("Tesla",), "AAPL": ("Apple",), "MSFT": ("Microsoft",), "ORCL": ("Oracle",),
    "NFLX": ("Netflix",), "AVGO": ("Broadcom",), "PFE": ("Pfizer",), "CVX": ("Chevron",),
    "V": ("Visa",), "MA": ("Mastercard",), "RELIANCE": ("Reliance Industries", "Reliance"),
    "TCS": ("Tata Consultancy",), "INFY": ("Infosys",), "HDFCBANK": ("HDFC Bank",),
    "ICICIBANK": ("ICICI Bank",), "SBIN": ("State Bank of India", "SBI"),
    "HINDUNILVR": ("Hindustan Unilever", "HUL"), "LT": ("Larsen & Toubro", "L&T"),
    "BHARTIARTL": ("Bharti Airtel", "Airtel"), "BTC-USD": ("Bitcoin", "BTC"),
    "ETH-USD": ("Ethereum", "Ether", "ETH"), "SOL-USD": ("Solana",), "XRP-USD": ("XRP",),
    "ADA-USD": ("Cardano",), "DOGE-USD": ("Dogecoin",), "AVAX-USD": ("Avalanche",),
    # zh / ja names used by the simulated news and common in the press
    "AAPL@zh": ("苹果",), "AAPL@ja": ("アップル",), "NVDA@zh": ("英伟达",),
    "NVDA@ja": ("エヌビディア",), "MSFT@zh": ("微软",), "MSFT@ja": ("マイクロソフト",),
    "TSLA@zh": ("特斯拉",), "TSLA@ja": ("テスラ",), "AMZN@zh": ("亚马逊",),
    "AMZN@ja": ("アマゾン",), "GOOGL@zh": ("谷歌",), "GOOGL@ja": ("グーグル",),
    "META@zh": ("脸书",), "BTC-USD@zh": ("比特币",), "BTC-USD@ja": ("ビットコイン",),
}


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    ticker: str
    name: str
    aliases: tuple[str, ...]


def short_name(name: str) -> str:
    previous = None
    while previous != name:
        previous, name = name, _SUFFIXES.sub("", name).strip()
    return _LEADING_THE.sub("", name)


def build_catalog(instruments: Iterable[Any],
                  extra: Mapping[str, tuple[str, ...]] = EXTRA_ALIASES) -> list[CatalogEntry]:
    """From anything with `ticker` and `name` (market Instruments) to catalogue entries."""
    extras: dict[str, list[str]] = {}
    for key, names in extra.items():
        extras.setdefault(key.split("@")[0], []).extend(names)
    entries = []
    for inst in instruments:
        names = {inst.name, short_name(inst.name), *extras.get(inst.ticker, ())}
        base = (getattr(inst, "metadata", None) or {}).get("base")
        if base:
            names.add(base)
        entries.append(CatalogEntry(inst.ticker, inst.name,
                                    tuple(sorted(n for n in names if len(n) >= 2))))
    return entries
