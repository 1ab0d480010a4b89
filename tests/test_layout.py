"""The package layout: no import cycles, between packages or between modules.

Issue 14: a reader should see the architecture from the folder listing, and that only
holds if the packages form layers. Every `import` in the source counts, those under
`TYPE_CHECKING` and inside functions too: a cycle hidden in a function is still a cycle a
refactor has to untangle. The graph is read from the source (ast), nothing is imported.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "archive_ingest"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of the package -> the modules of the package it imports."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                elif node.module and node.module.split(".")[0] == "archive_ingest":
                    target = node.module
                else:
                    continue
                for alias in node.names:  # `from . import catalog` imports a module
                    imported = f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target
                    if imported in modules and imported != name:
                        graph[name].add(imported)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in modules and a.name != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_of(module: str) -> str:
    """`archive_ingest.catalog.storage` -> `catalog`; a top-level module is its own package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_the_import_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    assert "archive_ingest.catalog.storage" in graph["archive_ingest.catalog"]
    assert "archive_ingest.catalog.index" in graph["archive_ingest.search"]  # a relative `from ..catalog.index`
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_between_packages() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, imported in import_graph().items():
        for other in imported:
            if package_of(other) != package_of(module) and package_of(other) != "archive_ingest":
                packages[package_of(module)].add(package_of(other))
    assert cycles(packages) == []


def test_no_import_cycle_between_modules() -> None:
    # A package's __init__ that imports its own modules, which import it back, is the one
    # pattern allowed: `from .. import catalog` in catalog/rebuild.py names the package's API.
    graph = import_graph()
    for module, imported in graph.items():
        for other in list(imported):
            if module.startswith(other + "."):
                imported.discard(other)
    assert cycles(graph) == []
