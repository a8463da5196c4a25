"""No two packages of helpdesk/ import each other, directly or through others.

Imports made for the type checker only (`if TYPE_CHECKING:`) do not count: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

ROOT = REPO / "helpdesk"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def _package(module: str) -> str:
    """The package a module belongs to: `helpdesk.chat` for helpdesk.chat.service; a
    top-level module (helpdesk.app) is its own."""
    return ".".join(module.split(".")[:2])


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("helpdesk"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.update([node.module] if node.module.startswith("helpdesk") else [])
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        here = _package(_module(path))
        for target in _runtime_imports(path):
            there = _package(target)
            if there != here and there != "helpdesk":
                graph.setdefault(here, set()).add(there)
    return graph


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start, if there is one."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_no_cycle_between_helpdesk_packages() -> None:
    """Every package of helpdesk/ can be understood without the ones that use it."""
    graph = package_graph()
    cycles = {" -> ".join(c) for p in graph if (c := _cycle_through(graph, p))}
    assert not cycles, "import cycles between packages:\n" + "\n".join(sorted(cycles))
