"""How the engine writes and reads JSON columns: orjson, with the standard library's own answer
wherever orjson would refuse a value the standard library takes.

Why: JSON columns sit on hot paths (the alerts outbox writes and claims a payload per
delivery), and the standard library's encoder and decoder cost 5-15 times orjson's there.

Whatever the standard library stored reads back the same; the few differences (NaN is stored
as null, compact text on SQLite, integers beyond 64 bits read as floats, UUIDs and plain Enum
members accepted) are listed in docs/architecture.md, "Storage". Rows written before keep
reading as they did: text orjson cannot parse (the `NaN` token, a lone surrogate escape, a
number beyond a double's range) goes to the standard library.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# Datetimes and dataclasses go to the (absent) default, so orjson refuses them and the
# standard library's TypeError is what the caller sees, as before. Not passed on: NumPy
# scalars (np.float64 is a float the standard library writes; orjson refuses it without
# OPT_SERIALIZE_NUMPY, which would also take whole arrays the standard library refuses) and
# non-str keys (the standard library renders them itself).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits, float subclasses (np.float64), non-str keys, lone
        # surrogates; or a value neither takes, which raises here as it always did.
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
