"""Use cases: list the tools, find the ones behind discovery, call one. A call checks its
arguments against the tool's schema, makes the route's HTTP request with the caller's token
through `send`, and turns the answer (or the problem) into a tool result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from jsonschema import Draft202012Validator

from stockflow.mcp.domain import (
    CORE,
    MORE,
    Request,
    Tool,
    ToolSpec,
    answer_text,
    derive,
    problem_text,
    request_of,
)

FIND_TOOLS = "find_tools"
CALL_TOOL = "call_tool"
Send = Callable[[Request], Awaitable[httpx.Response]]
RENEW = ("The access token was refused: get a new one (`stockflow token EMAIL`, or "
         "POST /v1/auth/login) and give it to the MCP client.")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a call gives the model: text, and whether it is an error (MCP `isError`)."""

    text: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Listed:
    name: str
    description: str
    input_schema: dict[str, Any]


DISCOVERY = (
    Listed(FIND_TOOLS, "Find more StockFlow tools than this list shows (volatility, "
           "correlation, portfolios, watchlists, market status, growth, anomalies, "
           "alert management, ...): words to match, or empty for all. Call them with "
           f"{CALL_TOOL}.",
           {"type": "object", "additionalProperties": False,
            "properties": {"query": {"type": "string", "maxLength": 200,
                                     "description": "words to look for in the tools' names "
                                                    "and descriptions; empty lists all"}}}),
    Listed(CALL_TOOL, f"Call any StockFlow tool by name, e.g. one {FIND_TOOLS} found, with its "
           "arguments.",
           {"type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {"name": {"type": "string", "description": "the tool's name"},
                           "arguments": {"type": "object",
                                         "description": "the tool's arguments, per the "
                                                        "input schema find_tools gave"}}}),
)


class ToolBox:
    """The tools of one platform: the table's rows whose routes its OpenAPI document has."""

    def __init__(self, specs: Iterable[ToolSpec], openapi: dict[str, Any]) -> None:
        specs = tuple(specs)
        names = [s.name for s in specs]
        clash = {n for n in names if names.count(n) > 1} | ({FIND_TOOLS, CALL_TOOL} & set(names))
        if clash:
            raise ValueError(f"tool names declared twice: {sorted(clash)}")
        derived = [(s, derive(s, openapi)) for s in specs]
        self.tools = {s.name: t for s, t in derived if t is not None}
        self.left_out = tuple(s.name for s, t in derived if t is None)
        self._validators = {n: Draft202012Validator(t.input_schema) for n, t in self.tools.items()}

    def listed(self) -> list[Listed]:
        """The first list: the core tools the platform has, then the discovery tools."""
        core = [_listed(t) for t in self.tools.values() if t.spec.group == CORE]
        return [*core, *DISCOVERY]

    def find(self, query: str = "") -> list[Listed]:
        """Tools behind discovery whose name or description holds every word of `query`."""
        words = query.lower().split()
        found = []
        for tool in self.tools.values():
            text = f"{tool.name.replace('_', ' ')} {tool.spec.description}".lower()
            if tool.spec.group == MORE and all(w in text for w in words):
                found.append(_listed(tool))
        return found

    async def call(self, send: Send, name: str, arguments: dict[str, Any] | None) -> Outcome:
        arguments = arguments or {}
        if name == FIND_TOOLS:
            bad = _invalid(Draft202012Validator(DISCOVERY[0].input_schema), name, arguments)
            if bad:
                return bad
            found = self.find(arguments.get("query", ""))
            return Outcome(orjson.dumps([{"name": t.name, "description": t.description,
                                          "inputSchema": t.input_schema} for t in found]).decode())
        if name == CALL_TOOL:
            bad = _invalid(Draft202012Validator(DISCOVERY[1].input_schema), name, arguments)
            if bad:
                return bad
            name, arguments = arguments["name"], arguments.get("arguments") or {}
            if name in (FIND_TOOLS, CALL_TOOL):
                return Outcome(f"{CALL_TOOL} calls the other tools, not {name}", is_error=True)
        tool = self.tools.get(name)
        if tool is None:
            return Outcome(f"Unknown tool {name!r}: {FIND_TOOLS} lists the tools there are"
                           + (f" ({name} is not served by this StockFlow)"
                              if name in self.left_out else ""), is_error=True)
        bad = _invalid(self._validators[name], name, arguments)
        if bad:
            return bad
        request = request_of(tool, arguments)
        try:
            response = await send(request)
        except httpx.HTTPError as exc:
            return Outcome(f"StockFlow API unreachable: {type(exc).__name__}: {exc}",
                           is_error=True)
        if response.is_success:
            if not response.content:
                return Outcome(f"done (HTTP {response.status_code})")
            return Outcome(answer_text(response.content))
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        text = problem_text(response.status_code, body)
        if response.status_code == 401:  # most often an access token past its lifetime
            text += f"\n{RENEW}"
        return Outcome(text, is_error=True)


def _listed(tool: Tool) -> Listed:
    return Listed(tool.name, tool.spec.description, tool.input_schema)


def _invalid(validator: Draft202012Validator, name: str,
             arguments: dict[str, Any]) -> Outcome | None:
    errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    lines = [f"- {'.'.join(str(p) for p in e.absolute_path) or 'arguments'}: {e.message}"
             for e in errors[:10]]
    return Outcome(f"Invalid arguments for {name}:\n" + "\n".join(lines), is_error=True)
