"""The tool table against the real app's routes, and the pure rules: schemas derived from
OpenAPI operations, arguments checked and turned into requests, problems into tool errors."""

from __future__ import annotations

import httpx
import orjson
import pytest

from stockflow.bootstrap import bootstrap
from stockflow.entrypoints.fastpath import flat_routes
from stockflow.entrypoints.http import create_app
from stockflow.mcp.domain import (
    CORE,
    MAX_TEXT,
    ToolSpec,
    answer_text,
    derive,
    inline,
    problem_text,
    request_of,
)
from stockflow.mcp.service import CALL_TOOL, FIND_TOOLS, RENEW, ToolBox
from stockflow.mcp.tools import TOOLS
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    container = bootstrap(make_settings(tmp_path_factory.mktemp("mcp-unit")))
    return create_app(container, manage_lifecycle=False)


def test_every_served_tool_is_a_route_of_the_app_and_the_rest_are_left_out(app):
    routes = {(m.lower(), path) for path, methods, _ in flat_routes(app.router.routes)
              for m in methods}
    box = ToolBox(TOOLS, app.openapi())
    assert box.tools and all(t.spec.key in routes for t in box.tools.values())
    assert set(box.left_out) == {s.name for s in TOOLS if s.key not in routes}
    # The signal and intel rows wait for their contexts; everything else is served now.
    assert set(box.left_out) <= {"get_signals", "backtest_strategy", "get_intel_brief",
                                 "backtest_custom", "get_market_brief"}
    listed = [t.name for t in box.listed()]
    assert len(listed) <= 20 and listed[-2:] == [FIND_TOOLS, CALL_TOOL]
    assert len([s for s in TOOLS if s.group == CORE]) + 2 <= 20  # inactive rows counted too


def test_the_mcp_route_is_declared_for_signed_in_callers(app):
    assert app.state.container.registry.permissions.required("/v1/mcp") == "account"


OPENAPI = {
    "paths": {"/v1/things/{thing_id}": {
        "get": {"parameters": [
            {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "mode", "in": "query", "schema": {"$ref": "#/components/schemas/Mode"}},
            {"name": "tags", "in": "query", "schema": {"type": "array",
                                                        "items": {"type": "string"}}},
            {"name": "exact", "in": "query", "schema": {"type": "boolean"}},
            {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}]},
        "post": {"requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Node"}}}}}}},
    "components": {"schemas": {
        "Mode": {"type": "string", "enum": ["fast", "full"], "title": "Mode"},
        "Node": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "child": {"$ref": "#/components/schemas/Node"},
            "kind": {"oneOf": [{"$ref": "#/components/schemas/Mode"}],
                     "discriminator": {"propertyName": "x", "mapping": {
                         "a": "#/components/schemas/Mode"}}}}}}},
}
GET = ToolSpec("get_thing", "A thing.", "GET", "/v1/things/{thing_id}", extra_query="params")
POST = ToolSpec("put_thing", "Store a thing.", "POST", "/v1/things/{thing_id}")


def test_schemas_come_from_the_operation_with_references_inlined():
    tool = derive(GET, OPENAPI)
    schema = tool.input_schema
    assert schema["required"] == ["thing_id"] and schema["additionalProperties"] is False
    assert schema["properties"]["mode"] == {"type": "string", "enum": ["fast", "full"]}
    assert "X-Trace" not in schema["properties"]  # headers are the transport's
    assert schema["properties"]["params"]["type"] == "object"
    body = derive(POST, OPENAPI).input_schema["properties"]["body"]
    assert body["properties"]["child"] == {}  # a recursive reference: any value
    assert "discriminator" not in body["properties"]["kind"]
    assert body["properties"]["kind"]["oneOf"][0]["enum"] == ["fast", "full"]
    assert "$ref" not in orjson.dumps(inline(OPENAPI["paths"], OPENAPI["components"]["schemas"]))\
        .decode()
    assert derive(ToolSpec("x", "", "GET", "/v1/absent"), OPENAPI) is None


def test_arguments_become_the_routes_request():
    tool = derive(GET, OPENAPI)
    req = request_of(tool, {"thing_id": "EUR/USD ^X", "mode": "fast", "tags": ["a", "b"],
                            "exact": True, "params": {"rsi.timeperiod": 14}})
    assert req.path == "/v1/things/EUR%2FUSD%20%5EX"
    assert req.params == [("mode", "fast"), ("tags", "a"), ("tags", "b"), ("exact", "true"),
                          ("rsi.timeperiod", "14")]
    assert request_of(derive(POST, OPENAPI), {"thing_id": "a", "body": {"name": "n"}}).body == \
        {"name": "n"}


def test_problems_read_as_their_title_and_detail():
    assert problem_text(403, {"title": "Forbidden", "status": 403,
                              "detail": "the free tier does not include write:alerts"}) == \
        "Forbidden (403): the free tier does not include write:alerts"
    assert "retry after 7 s" in problem_text(429, {"title": "Too Many Requests", "status": 429,
                                                   "detail": "limit", "retry_after": 7})
    listed = problem_text(422, {"title": "Unprocessable Content", "status": 422,
                                "errors": [{"loc": ["query", "limit"], "msg": "too big"}]})
    assert listed.endswith("- limit: too big")
    assert problem_text(502, "<html>bad gateway</html>") == "HTTP 502: <html>bad gateway</html>"
    long = answer_text(orjson.dumps({"x": "y" * (MAX_TEXT + 10)}))
    assert len(long) < MAX_TEXT + 100 and long.endswith("ask for fewer rows]")


async def test_calls_are_checked_then_sent_and_answers_told_apart():
    box = ToolBox([GET, POST], OPENAPI)
    sent = []

    async def send(request):
        sent.append(request)
        if request.path.endswith("/expired"):
            return httpx.Response(401, json={"title": "Unauthorized", "status": 401,
                                             "detail": "token expired"})
        if request.path.endswith("/missing"):
            return httpx.Response(404, json={"title": "Not Found", "status": 404,
                                             "detail": "thing 'missing' is not known"})
        return httpx.Response(200, json={"data": {"id": request.path}})

    bad = await box.call(send, "get_thing", {"thing_id": 5, "mode": "slow"})
    assert bad.is_error and not sent
    assert "thing_id: 5 is not of type 'string'" in bad.text
    assert "mode: 'slow' is not one of ['fast', 'full']" in bad.text
    ok = await box.call(send, CALL_TOOL, {"name": "get_thing", "arguments": {"thing_id": "a"}})
    assert not ok.is_error and orjson.loads(ok.text) == {"data": {"id": "/v1/things/a"}}
    missing = await box.call(send, "get_thing", {"thing_id": "missing"})
    assert missing.is_error and missing.text == "Not Found (404): thing 'missing' is not known"
    expired = await box.call(send, "get_thing", {"thing_id": "expired"})
    assert expired.text == f"Unauthorized (401): token expired\n{RENEW}"
    assert (await box.call(send, CALL_TOOL, {"name": CALL_TOOL})).is_error
    assert (await box.call(send, CALL_TOOL, {})).is_error  # name is required

    async def down(request):
        raise httpx.ConnectError("connection refused")

    unreachable = await box.call(down, "get_thing", {"thing_id": "a"})
    assert unreachable.is_error and "unreachable" in unreachable.text


def test_find_matches_every_word_among_the_tools_behind_discovery(app):
    box = ToolBox(TOOLS, app.openapi())
    assert [t.name for t in box.find("volatility forecast")] == ["forecast_volatility"]
    assert "get_quote" not in [t.name for t in box.find("")]  # already in the first list
    with pytest.raises(ValueError, match="declared twice"):
        ToolBox([GET, GET], OPENAPI)


def test_every_core_row_fits_the_first_list_and_names_are_unique():
    core = [t for t in TOOLS if t.group == CORE]
    assert len(core) + 2 <= 20  # with find_tools and call_tool, the inactive rows included
    assert len({t.name for t in TOOLS}) == len(TOOLS)
