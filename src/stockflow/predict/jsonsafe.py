"""Make a result safe for JSON: NaN and infinities become None, NumPy scalars become Python."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def finite(x: Any) -> float | None:
    """A float, or None when it is NaN, infinite or missing."""
    if x is None:
        return None
    v = float(x)
    return v + 0.0 if math.isfinite(v) else None   # + 0.0 turns -0.0 into 0.0


def clean(obj: Any) -> Any:
    """Walk dicts, lists, tuples and arrays; every non-finite float becomes None."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [clean(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return finite(obj)
    return obj
