"""subscribe_confirmed returns once the broker holds the subscription, so a message published
right after it returns is received (real Redis); a broker that never confirms delays start by
the bound only."""

from __future__ import annotations

import asyncio
import uuid

from stockflow.core import registry
from stockflow.core.listening import subscribe_confirmed
from stockflow.testing.services import require_service_url


async def test_a_message_published_right_after_subscribing_arrives_on_redis() -> None:
    url = require_service_url("STOCKFLOW_TEST_REDIS_URL", "Redis")
    listener, speaker = registry.build("pubsub", url), registry.build("pubsub", url)
    channel = f"test-confirmed-{uuid.uuid4().hex[:8]}"
    try:
        for attempt in range(20):  # without the wait, the first publish races the SUBSCRIBE
            sub = await subscribe_confirmed(listener, f"{channel}-{attempt}")
            await speaker.publish(f"{channel}-{attempt}", b"hello")
            async with asyncio.timeout(5):
                got = await anext(aiter(sub))
            assert got == (f"{channel}-{attempt}", b"hello")
            await sub.close()
    finally:
        await listener.close()
        await speaker.close()


class _NeverConfirmed:
    class _Sub:
        async def ready(self) -> None:
            await asyncio.Event().wait()

    def subscribe(self, channel: str) -> _Sub:
        return self._Sub()


async def test_a_broker_that_never_confirms_holds_start_only_for_the_bound() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    sub = await subscribe_confirmed(_NeverConfirmed(), "c", wait_s=0.2)
    assert isinstance(sub, _NeverConfirmed._Sub)
    assert loop.time() - started < 3
