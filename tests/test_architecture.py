"""The layering rules hold by themselves: no import cycles, and `core` imports no outer layer."""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("adapters", "app", "bot", "core", "jobs", "storage")
OUTER = ("adapters", "app", "bot", "jobs", "storage")
# What core may import besides itself: the standard library and these libraries only.
CORE_LIBRARIES = {"structlog", "Stemmer", "razdel", "pymorphy3"}  # text analysis only


def _modules() -> dict[str, Path]:
    found = {}
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()
_STDLIB = set(sys.stdlib_module_names)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, *, eager_only: bool) -> Iterator[str]:
    """Imported module names; `eager_only` skips TYPE_CHECKING blocks and function bodies."""

    def visit(nodes: list[ast.stmt]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    yield candidate if candidate in MODULES else node.module
            elif isinstance(node, ast.If) and _is_type_checking(node):
                if not eager_only:
                    yield from visit(node.body)
                yield from visit(node.orelse)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if not eager_only or isinstance(node, ast.ClassDef):
                    yield from visit(node.body)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        yield from visit([n for n in inner if isinstance(n, ast.stmt)])
                        for handler in inner:
                            if isinstance(handler, ast.ExceptHandler):
                                yield from visit(handler.body)

    yield from visit(tree.body)


def _graph(*, eager_only: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {m for m in _imports(tree, eager_only=eager_only) if m in MODULES}
        graph[name].discard(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_walk_sees_every_product_package() -> None:
    """The checks below read real modules of every layer (an empty walk would prove nothing)."""
    for package in PRODUCT:
        assert any(name.startswith(f"{package}.") for name in MODULES), package
    graph = _graph(eager_only=True)
    assert "core.ports" in graph["core.rag.service"]
    assert "core.text.terms" in graph["core.trends.detector"]


def test_no_import_cycles_between_product_modules() -> None:
    """Modules import each other one way only (deferred and type-only imports excepted)."""
    assert _cycles(_graph(eager_only=True)) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    """The detector itself reports a two-module cycle and ignores a one-way chain."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.split(".")[0] == "core"))
def test_core_imports_no_outer_layer(name: str) -> None:
    """`core` imports neither `bot`, `app`, `jobs`, `storage` nor `adapters`, not even lazily,
    and no framework: only the standard library and a few text libraries."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    imported = set(_imports(tree, eager_only=False))
    outer = sorted(m for m in imported if m.split(".")[0] in OUTER)
    assert outer == [], f"{name} imports {outer}"
    foreign = sorted(
        m
        for m in imported
        if m.split(".")[0] not in {"core", *CORE_LIBRARIES} and m.split(".")[0] not in _STDLIB
    )
    assert foreign == [], f"{name} imports {foreign}"


def test_every_public_core_error_derives_from_core_error() -> None:
    """One base exception for the core layer: callers can catch `CoreError` for all of them."""
    from core.errors import CoreError

    strays = []
    for name in sorted(n for n in MODULES if n.split(".")[0] == "core"):
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
                and not attr.startswith("_")
                and not issubclass(value, CoreError)
            ):
                strays.append(f"{name}.{attr}")
    assert strays == []
