"""Pure rules of the MCP server: what a tool row is, how its input schema is derived from the
route's OpenAPI operation, how arguments become an HTTP request, and how an answer becomes a
tool result's text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

# Where a tool is listed: "core" tools are in the first `tools/list` answer; "more" are reached
# through the discovery tools (find_tools, call_tool), so the first list stays short.
CORE = "core"
MORE = "more"
BODY = "body"  # the argument that carries a route's JSON request body
MAX_TEXT = 200_000  # characters of an answer handed to the model; the rest is cut, and said so


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One row of the tool table: a tool is a thin call to one platform route."""

    name: str
    description: str
    method: str  # GET, POST, ...
    path: str  # the route template, e.g. /v1/quotes/{ticker}
    group: str = CORE
    # Free-form query parameters the route reads beyond its declared ones (the indicator
    # route's `rsi.timeperiod=14`), offered as one object argument of this name.
    extra_query: str | None = None
    extra_query_help: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.method.lower(), self.path


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool as served: its row and the input schema derived from the live OpenAPI document."""

    spec: ToolSpec
    input_schema: dict[str, Any]
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    has_body: bool

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    params: list[tuple[str, str]]
    body: Any = None


def derive(spec: ToolSpec, openapi: dict[str, Any]) -> Tool | None:
    """The tool for `spec` from the app's OpenAPI document, or None if the app has no such
    route (a row whose context is not deployed, or not merged yet)."""
    operation = openapi.get("paths", {}).get(spec.path, {}).get(spec.method.lower())
    if operation is None:
        return None
    components = openapi.get("components", {}).get("schemas", {})
    properties: dict[str, Any] = {}
    required: list[str] = []
    path_params, query_params = [], []
    for param in operation.get("parameters", ()):
        where, name = param.get("in"), param["name"]
        if where not in ("path", "query"):
            continue  # headers and cookies are the transport's, not the model's
        schema = inline(param.get("schema", {}), components)
        schema.pop("title", None)
        if param.get("description"):
            schema["description"] = param["description"]
        properties[name] = schema
        (path_params if where == "path" else query_params).append(name)
        if param.get("required") or where == "path":
            required.append(name)
    body = operation.get("requestBody")
    if body is not None:
        content = body.get("content", {}).get("application/json", {})
        properties[BODY] = {**inline(content.get("schema", {}), components),
                            "description": "the JSON request body"}
        if body.get("required"):
            required.append(BODY)
    if spec.extra_query:
        properties[spec.extra_query] = {
            "type": "object", "description": spec.extra_query_help,
            "additionalProperties": {"type": ["string", "number", "integer", "boolean"]}}
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return Tool(spec, schema, tuple(path_params), tuple(query_params), body is not None)


def inline(schema: Any, components: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`schema` with its `#/components/schemas/...` references replaced by their targets, so
    a client needs no OpenAPI document to read it; a recursive reference becomes `{}` (any)."""
    if isinstance(schema, list):
        return [inline(s, components, seen) for s in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name in seen or name not in components:
            return {}
        target = inline(components[name], components, (*seen, name))
        rest = {k: inline(v, components, seen) for k, v in schema.items() if k != "$ref"}
        return {**target, **rest}
    # OpenAPI's `discriminator` is no JSON Schema keyword, and its mapping points into the
    # OpenAPI document: `oneOf` says the same on its own.
    return {k: inline(v, components, seen) for k, v in schema.items() if k != "discriminator"}


def request_of(tool: Tool, arguments: dict[str, Any]) -> Request:
    """The HTTP request a call makes; `arguments` are already valid against the schema."""
    path = tool.spec.path
    for name in tool.path_params:
        path = path.replace("{" + name + "}", quote(str(arguments[name]), safe=""))
    params: list[tuple[str, str]] = []
    for name in tool.query_params:
        if arguments.get(name) is not None:
            params += _query(name, arguments[name])
    if tool.spec.extra_query:
        for name, value in (arguments.get(tool.spec.extra_query) or {}).items():
            params += _query(name, value)
    return Request(tool.spec.method, path, params, arguments.get(BODY))


def _query(name: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, list):
        return [p for v in value for p in _query(name, v)]
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    return [(name, str(value))]


def problem_text(status: int, body: Any) -> str:
    """A refusal as the model reads it: the problem's title and detail (RFC 9457); a validation
    problem's detail names each field and what is wrong, so the model can correct its call."""
    if not isinstance(body, dict):
        return f"HTTP {status}: {str(body)[:500]}"
    text = f"{body.get('title') or 'HTTP error'} ({body.get('status', status)})"
    if body.get("detail"):
        text += f": {body['detail']}"
    for error in () if body.get("detail") else body.get("errors") or ():
        if isinstance(error, dict):
            where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path"))
            text += f"\n- {where or 'request'}: {error.get('msg', error)}"
    if body.get("retry_after") is not None:
        text += f"\n(retry after {body['retry_after']} s)"
    return text


def answer_text(body: bytes) -> str:
    """A successful answer as compact JSON text, cut (and marked) past MAX_TEXT characters."""
    try:
        text = orjson.dumps(orjson.loads(body)).decode()
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace")
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT] + f"\n[cut at {MAX_TEXT} characters: ask for fewer rows]"
    return text
