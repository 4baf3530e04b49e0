"""Pure ECB parsers: the eurofxref XML (a gesmes:Envelope of `<Cube time=...>` days, each with
`<Cube currency=... rate=...>` rows, rates per 1 EUR) → {day: {currency: units per EUR}}, and
the cross rate of any two currencies it lists."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from stockflow.adapters.providers import values as v
from stockflow.core.resilience.errors import ProviderBadData, ProviderNotFound

NAME = "ecb"
_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"

Table = dict[date, dict[str, float]]


def reference_rates(text: str) -> Table:
    """Every day of the file, oldest first; EUR itself is 1 on each day."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise ProviderBadData(NAME, f"malformed XML: {e}") from None
    table: Table = {}
    for cube in root.iter(f"{_NS}Cube"):
        stamp = cube.get("time")
        if stamp is None:
            continue
        try:
            day = date.fromisoformat(stamp)
        except ValueError:
            raise ProviderBadData(NAME, f"Cube time {stamp!r} is not a date") from None
        rates = {"EUR": 1.0}
        for row in cube.findall(f"{_NS}Cube"):
            code = str(row.get("currency", "")).upper()
            rates[code] = v.price(NAME, row.get("rate"), f"rate of {code} on {stamp}")
        table[day] = rates
    if not table:
        raise ProviderBadData(NAME, "no dated Cube in the reference-rate file")
    return dict(sorted(table.items()))


def cross(rates: dict[str, float], base: str, quote: str) -> float:
    """Units of `quote` per one `base`, through the euro: (quote per EUR) / (base per EUR)."""
    missing = [c for c in (base, quote) if c not in rates]
    if missing:
        raise ProviderNotFound(NAME, f"no ECB reference rate for {', '.join(missing)}")
    return rates[quote] / rates[base]
