"""Wait in tests until something becomes true, with a deadline and a failure that says what.

`eventually` polls a predicate (plain or async) from a coroutine; `eventually_sync` does the
same from blocking code (a test driving a subprocess). Both return the predicate's first truthy
value, so a poll can also fetch what it waited for.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

_NOT_YET = object()


class NotInTime(AssertionError):
    """The predicate did not hold before the deadline."""


def _failure(message: str, timeout: float, last: Any) -> NotInTime:
    what = message or "condition"
    seen = "" if last is _NOT_YET else f"; last seen: {last!r}"
    return NotInTime(f"{what} not met within {timeout:g} s{seen}")


async def eventually(predicate: Callable[[], Any], *, timeout: float = 10.0,
                     interval: float = 0.01, message: str = "",
                     ignore: tuple[type[BaseException], ...] = ()) -> Any:
    """Await until `predicate()` (or the awaitable it returns) is truthy; return that value.

    Exceptions of the `ignore` types count as "not yet"; any other propagates at once. An
    async predicate that hangs is cut by the same deadline."""
    last: Any = _NOT_YET
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    value = predicate()
                    if inspect.isawaitable(value):
                        value = await value
                except ignore as exc:
                    value, last = None, exc
                else:
                    last = value
                if value:
                    return value
                await asyncio.sleep(interval)
    except TimeoutError:
        raise _failure(message, timeout, last) from None


def eventually_sync(predicate: Callable[[], Any], *, timeout: float = 10.0,
                    interval: float = 0.1, message: str = "",
                    ignore: tuple[type[BaseException], ...] = ()) -> Any:
    """`eventually` for blocking code: sleeps between calls of a plain predicate."""
    deadline = time.monotonic() + timeout
    last: Any = _NOT_YET
    while True:
        try:
            value = last = predicate()
        except ignore as exc:
            value, last = None, exc
        if value:
            return value
        if time.monotonic() + interval > deadline:
            raise _failure(message, timeout, last)
        time.sleep(interval)
