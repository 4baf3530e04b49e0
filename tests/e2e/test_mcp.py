"""The MCP server through the official `mcp` client library, over both transports, against a
real uvicorn-served StockFlow (embedded defaults in a temp data folder, accounts on): stdio
(`stockflow mcp` spawned as a client would) and streamable HTTP at /v1/mcp."""

from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import httpx2
import orjson
import pytest
import pytest_asyncio
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from stockflow.bootstrap import bootstrap
from stockflow.mcp.service import CALL_TOOL, FIND_TOOLS
from tests.conftest import make_settings, serving
from tests.e2e.users_support import ADMIN_KEY, AUTH, sign_up

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]
STOCKFLOW = Path(sys.executable).with_name("stockflow")
ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def platform(tmp_path_factory):
    """A served StockFlow and one signed-in user per tier: (base URL, {tier: token})."""
    tmp = tmp_path_factory.mktemp("mcp")
    container = bootstrap(make_settings(tmp, simulator={"backfill_on_start": False}, auth=AUTH,
                                        control={"api_key": ADMIN_KEY}))
    async with serving(container) as ws_url:
        base = "http://" + ws_url.removeprefix("ws://").split("/", 1)[0]
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            tokens = {"free": (await sign_up(client)).access,
                      "pro": (await sign_up(client, tier="pro")).access}
        yield base, tokens


@asynccontextmanager
async def over_http(base: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (httpx2.AsyncClient(headers=headers, timeout=60) as http,
                Client(streamable_http_client(f"{base}/v1/mcp", http_client=http)) as client):
        yield client


@asynccontextmanager
async def over_stdio(base: str, token: str):
    params = StdioServerParameters(command=str(STOCKFLOW), args=["mcp", "--url", base],
                                   env={"STOCKFLOW_TOKEN": token, "PATH": "/usr/bin:/bin"})
    async with Client(params) as client:
        yield client


TRANSPORTS = {"http": over_http, "stdio": over_stdio}


def text(result) -> str:
    return "".join(block.text for block in result.content)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_first_list_is_short_and_discovery_reaches_the_rest(platform, transport):
    base, tokens = platform
    async with TRANSPORTS[transport](base, tokens["pro"]) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert len(listed) <= 20
        assert {"get_quote", "forecast_price", "create_alert", FIND_TOOLS, CALL_TOOL} <= set(listed)
        assert listed["get_quote"].input_schema["required"] == ["ticker"]

        found = await client.call_tool(FIND_TOOLS, {"query": "volatility"})
        assert not found.is_error, text(found)
        names = [t["name"] for t in orjson.loads(text(found))]
        assert "forecast_volatility" in names and not set(names) & set(listed)
        everything = orjson.loads(text(await client.call_tool(FIND_TOOLS, {})))
        assert {"market_status", "list_watchlists", "get_growth"} <= {t["name"] for t in everything}

        status = await client.call_tool(CALL_TOOL, {"name": "market_status"})
        assert not status.is_error, text(status)
        assert "XNYS" in [e["exchange"] for e in orjson.loads(text(status))["data"]]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_callers_tier_applies_to_every_tool(platform, transport):
    base, tokens = platform
    async with TRANSPORTS[transport](base, tokens["free"]) as free:
        refused = await free.call_tool("list_alerts", {})
        assert refused.is_error
        assert "Forbidden (403)" in text(refused) and "write:alerts" in text(refused)
        via_discovery = await free.call_tool(CALL_TOOL, {"name": "forecast_volatility",
                                                         "arguments": {"ticker": "AAPL"}})
        assert via_discovery.is_error and "read:predictions" in text(via_discovery)
        statements = await free.call_tool("get_financials", {"ticker": "AAPL"})
        assert not statements.is_error, text(statements)
        assert orjson.loads(text(statements))["data"]

    async with TRANSPORTS[transport](base, tokens["pro"]) as pro:
        push = await pro.call_tool(CALL_TOOL, {"name": "add_alert_channel", "arguments": {
            "body": {"kind": "push", "target": f"ntfy://ntfy.sh/stockflow-mcp-{transport}"}}})
        assert not push.is_error, text(push)
        rule = {"name": f"over {transport}", "channel_ids": [orjson.loads(text(push))["data"]["id"]],
                "condition": {"type": "price_above", "ticker": "AAPL", "level": 10_000}}
        created = await pro.call_tool("create_alert", {"body": rule})
        assert not created.is_error, text(created)
        rule_id = orjson.loads(text(created))["data"]["id"]
        mine = await pro.call_tool("list_alerts", {"ticker": "AAPL"})
        assert not mine.is_error, text(mine)
        assert rule_id in [r["id"] for r in orjson.loads(text(mine))["data"]]
        quote = await pro.call_tool("get_quote", {"ticker": "AAPL"})
        assert not orjson.loads(text(quote))["meta"].get("delayed"), text(quote)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_bad_argument_is_a_clear_tool_error(platform, transport):
    base, tokens = platform
    async with TRANSPORTS[transport](base, tokens["pro"]) as client:
        missing = await client.call_tool("get_quote", {})
        assert missing.is_error and "'ticker' is a required property" in text(missing)
        typo = await client.call_tool("get_history", {"ticker": "AAPL", "limt": 5})
        assert typo.is_error and "'limt' was unexpected" in text(typo)
        too_many = await client.call_tool("get_history", {"ticker": "AAPL", "limit": 0})
        assert too_many.is_error and "limit: 0 is less than the minimum of 1" in text(too_many)
        # Valid by the schema, refused by the platform: the problem's title and detail.
        unknown = await client.call_tool("get_quote", {"ticker": "NOSUCH"})
        assert unknown.is_error and text(unknown).startswith("Not Found (404)")
        assert "NOSUCH" in text(unknown)
        nothing = await client.call_tool("no_such_tool", {})
        assert nothing.is_error and FIND_TOOLS in text(nothing)


async def test_no_token_or_a_forged_one_is_refused_over_http(platform):
    base, _ = platform
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        async with httpx.AsyncClient(timeout=30) as client:
            r = await client.post(f"{base}/v1/mcp", headers={**headers, **ACCEPT},
                                  json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert r.status_code == 401, r.text
        assert r.headers["content-type"] == "application/problem+json"
    # The SDK's client, refused at the HTTP edge, fails to connect (inside its task groups).
    with pytest.raises(BaseExceptionGroup) as refused:
        async with over_http(base, None) as client:
            await client.list_tools()
    assert refused.group_contains(MCPError)


async def test_a_malformed_request_is_a_problem_and_a_protocol_error_json_rpc(platform):
    base, tokens = platform
    auth = {"Authorization": f"Bearer {tokens['free']}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        text_body = await client.post("/v1/mcp", headers={**auth, **ACCEPT}, content=b"hello")
        assert text_body.status_code == 400
        assert text_body.headers["content-type"] == "application/problem+json"
        assert "Content-Type" in text_body.json()["detail"]
        wrong = await client.post("/v1/mcp", headers={**auth, **ACCEPT},
                                  json={"jsonrpc": "2.0", "id": 7, "method": "no/such"})
        assert wrong.json()["error"]["code"] == -32601  # method not found, as MCP says
        assert (await client.get("/v1/mcp", headers=auth)).status_code == 405


async def test_stdio_does_not_start_without_a_token_or_with_a_refused_one(platform):
    base, _ = platform
    code, err = await _stdio_exit(base, {})
    assert code == 2 and "STOCKFLOW_TOKEN" in err and "stockflow token EMAIL" in err
    code, err = await _stdio_exit(base, {"STOCKFLOW_TOKEN": "not-a-token"})
    assert code == 1 and "refused the token" in err, err


async def _stdio_exit(base: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(STOCKFLOW), "mcp", "--url", base, env={"PATH": "/usr/bin:/bin", **env},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, err.decode()
