"""The quote stream hands out live prices, so it obeys the quote tiers: a caller granted
streams but not real-time quotes is closed with a policy-violation code and a reason."""

from __future__ import annotations

import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from stockflow.core.permissions import READ_STREAMS
from stockflow.users.domain import Tier, permissions_for
from stockflow.users.tokens import TokenService
from tests.e2e.test_auth_tokens import ws_server  # noqa: F401 - the served app with accounts

pytestmark = pytest.mark.asyncio(loop_scope="function")


def token(container, tier: Tier, extra: tuple[str, ...] = ()) -> str:
    return container.port(TokenService).issue(
        user_id=f"user-{tier}", email=f"{tier}@example.com", tier=tier.value,
        permissions=(*permissions_for(tier), *extra))[0]


async def test_streams_without_realtime_quotes_are_closed_with_a_reason(ws_server):  # noqa: F811
    container, url = ws_server
    granted = token(container, Tier.FREE, (READ_STREAMS,))
    async with websockets.connect(f"{url}?token={granted}") as ws:
        with pytest.raises(ConnectionClosed) as info:
            await ws.send(json.dumps({"action": "subscribe", "tickers": ["NVDA"]}))
            while True:
                frame = json.loads(await ws.recv())
                assert frame["type"] != "snapshot", "a live snapshot reached a delayed caller"
    assert info.value.rcvd.code == 1008 and "read:quotes:realtime" in info.value.rcvd.reason
    async with websockets.connect(f"{url}?token={token(container, Tier.PRO)}") as ws:
        await ws.send(json.dumps({"action": "subscribe", "tickers": ["NVDA"]}))
        while (frame := json.loads(await ws.recv()))["type"] != "snapshot":
            pass
        assert frame["data"][0]["ticker"] == "NVDA"
