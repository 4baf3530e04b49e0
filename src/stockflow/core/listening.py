"""Subscribing to a pub/sub channel before reading the state it announces changes to.

Pub/sub keeps nothing: a change published between "read the state" and "the server has the
subscription" is lost for this process. So a listener subscribes, waits until the broker has
confirmed it, and only then loads the state. A broker that does not confirm in time (down at
start) does not hold start-up: the listener goes on and its periodic catch-up repairs it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from stockflow.core.logging import get_logger
from stockflow.core.ports import PubSub

log = get_logger(__name__)


async def subscribe_confirmed(pubsub: PubSub, channel: str, *, wait_s: float = 5.0) -> Any:
    """Subscribe to `channel` and return the subscription once the broker holds it (or
    after `wait_s`, with a warning)."""
    subscription = pubsub.subscribe(channel)
    ready = getattr(subscription, "ready", None)
    if ready is not None:
        try:
            async with asyncio.timeout(wait_s):
                await ready()
        except TimeoutError:
            log.warning("pub/sub subscription not confirmed; changes may be seen late",
                        channel=channel, waited_s=wait_s)
    return subscription
