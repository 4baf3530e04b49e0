"""The architecture as imports: no cycle between top-level packages, and a context reaches
another only through its ports and published models (import-linter's "layers" and
"independence" contracts, checked on the source itself)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import stockflow
from stockflow.contexts import modules

ROOT = Path(stockflow.__file__).parent
PUBLISHED = {"ports", "domain"}  # what one context may import of another


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return [m for m in out if m.startswith("stockflow.")]


def _package_of(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        source = _package_of(path)
        for module in _imports(path):
            target = module.split(".")[1]
            if target != source:
                edges[source].add(target)
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_top_level_packages():
    assert _cycle(_graph()) is None, f"import cycle: {' -> '.join(_cycle(_graph()) or [])}"


def test_a_cycle_is_found_when_there_is_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_contexts_reach_each_other_only_through_ports_and_published_models():
    contexts = {m.name for m in modules()}
    wrong = []
    for path in ROOT.rglob("*.py"):
        source = _package_of(path)
        if source not in contexts:
            continue
        for module in _imports(path):
            parts = module.split(".")
            foreign = parts[1] in contexts and parts[1] != source
            if foreign and (len(parts) < 3 or parts[2] not in PUBLISHED):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_contexts_never_import_adapters_or_the_composition_root():
    contexts = {m.name for m in modules()}
    wrong = [f"{path.relative_to(ROOT)} imports {module}"
             for path in ROOT.rglob("*.py") if _package_of(path) in contexts
             for module in _imports(path)
             if module.split(".")[1] in ("adapters", "bootstrap", "entrypoints", "settings")]
    assert wrong == []


PARTS = ("module", "config", "ports", "domain", "service", "api", "tables", "repository",
         "handlers", "tasks", "schemas")


def test_every_context_package_has_the_same_named_parts():
    names = [m.name for m in modules()] + ["_template"]
    missing = {name: [p for p in PARTS if not (ROOT / name / f"{p}.py").exists()]
               for name in names}
    assert {k: v for k, v in missing.items() if v} == {}
