"""Valid ranges of TA-Lib's optional parameters, read from the C library's own metadata.

The Python wrapper exposes each parameter's name, type and default but drops `dataSet`, the
range (or list of choices) TA-Lib checks before computing. We read it from the same shared
library the wrapper links, through ctypes, so a range here is exactly the one TA-Lib enforces.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from dataclasses import dataclass
from functools import lru_cache

# TA_OptInputParameterType, in ta_abstract.h's order.
REAL_RANGE, REAL_LIST, INTEGER_RANGE, INTEGER_LIST = 0, 1, 2, 3


class _OptInputInfo(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("paramName", ctypes.c_char_p), ("flags", ctypes.c_int),
                ("displayName", ctypes.c_char_p), ("dataSet", ctypes.c_void_p),
                ("defaultValue", ctypes.c_double), ("hint", ctypes.c_char_p),
                ("helpFile", ctypes.c_char_p)]


class _RealRange(ctypes.Structure):
    _fields_ = [("min", ctypes.c_double), ("max", ctypes.c_double), ("precision", ctypes.c_int),
                ("s_start", ctypes.c_double), ("s_end", ctypes.c_double),
                ("s_step", ctypes.c_double)]


class _IntegerRange(ctypes.Structure):
    _fields_ = [("min", ctypes.c_int), ("max", ctypes.c_int), ("s_start", ctypes.c_int),
                ("s_end", ctypes.c_int), ("s_step", ctypes.c_int)]


class _IntegerPair(ctypes.Structure):
    _fields_ = [("value", ctypes.c_int), ("string", ctypes.c_char_p)]


class _RealPair(ctypes.Structure):
    _fields_ = [("value", ctypes.c_double), ("string", ctypes.c_char_p)]


class _IntegerList(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(_IntegerPair)), ("count", ctypes.c_uint)]


class _RealList(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(_RealPair)), ("count", ctypes.c_uint)]


@dataclass(frozen=True, slots=True)
class ParamRange:
    """What TA-Lib accepts for one parameter: a closed interval or a list of named choices."""

    kind: int                                        # one of the *_RANGE / *_LIST constants
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[tuple[float, str], ...] = ()      # (value, label) for list parameters
    hint: str = ""                                   # TA-Lib's one-line description


def _library_candidates() -> list[str]:
    import talib  # the wheel bundles the C library next to the package, in ta_lib.libs/

    site = os.path.dirname(os.path.dirname(talib.__file__))
    found = sorted(glob.glob(os.path.join(site, "ta_lib.libs", "libta*lib*.so*")))
    found += sorted(glob.glob(os.path.join(site, "ta_lib.libs", "*ta*lib*.dylib")))
    for name in ("ta-lib", "ta_lib", "ta_libc"):
        if path := ctypes.util.find_library(name):
            found.append(path)
    return found


@lru_cache(maxsize=1)
def _library() -> ctypes.CDLL | None:
    for path in _library_candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "TA_GetOptInputParameterInfo"):
            return lib
    return None


def available() -> bool:
    """Whether ranges can be read; without them only TA-Lib's own refusal catches bad values."""
    return _library() is not None


def _decode(kind: int, address: int, hint: str) -> ParamRange:
    if kind == INTEGER_RANGE:
        r = _IntegerRange.from_address(address)
        return ParamRange(kind, r.min, r.max, hint=hint)
    if kind == REAL_RANGE:
        rr = _RealRange.from_address(address)
        return ParamRange(kind, rr.min, rr.max, hint=hint)
    table = (_IntegerList if kind == INTEGER_LIST else _RealList).from_address(address)
    choices = tuple((table.data[i].value, table.data[i].string.decode())
                    for i in range(table.count))
    return ParamRange(kind, choices=choices, hint=hint)


@lru_cache(maxsize=512)
def param_ranges(function: str) -> dict[str, ParamRange]:
    """Parameter name (as the Python wrapper spells it) → its range, for one TA-Lib function."""
    lib = _library()
    if lib is None:
        return {}
    handle = ctypes.c_void_p()
    if lib.TA_GetFuncHandle(function.encode(), ctypes.byref(handle)) != 0:
        return {}
    out: dict[str, ParamRange] = {}
    index = 0
    while True:
        info = ctypes.POINTER(_OptInputInfo)()
        if lib.TA_GetOptInputParameterInfo(handle, index, ctypes.byref(info)) != 0:
            return out
        meta = info.contents
        name = meta.paramName.decode()[len("optIn"):].lower()
        out[name] = _decode(meta.type, meta.dataSet, (meta.hint or b"").decode())
        index += 1
