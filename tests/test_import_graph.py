"""Dependencies point one way: no import cycle between the project's modules.

Every ``.py`` module of ``portal/``, ``admin_views/`` and ``jobs/`` is parsed (nothing is
imported). Every import statement counts, wherever it stands — an import inside a function
that dodges a cycle at import time is still a cycle in the design. ``from x import y`` where
``y`` is a submodule counts as importing ``x.y``; otherwise it imports ``x``. Importing a
module does not count as importing its parent packages (``portal/__init__.py`` is the app
factory, which everything would otherwise "import").
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "admin_views", "jobs")


def project_modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the project's packages."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules) -> str | None:
    """The project module ``name`` refers to: itself or its nearest enclosing module."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules) -> set[str]:
    """The project modules ``module`` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = []
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                targets.append(sub if sub in modules else source)
        else:
            continue
        for target in targets:
            resolved = _resolve(target, modules)
            if resolved is not None and resolved != module:
                found.add(resolved)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest cycle through each pair of modules that import each other, as paths."""
    found = []
    seen = set()
    for group in strongly_connected(graph):
        if len(group) < 2:
            continue
        members = set(group)
        for start in group:
            # breadth-first from start back to itself, within the group
            paths = {succ: [start, succ] for succ in sorted(graph[start] & members)}
            queue = list(paths)
            while queue and start not in paths:
                node = queue.pop(0)
                for succ in sorted(graph[node] & members):
                    if succ not in paths:
                        paths[succ] = paths[node] + [succ]
                        queue.append(succ)
            cycle = paths[start]
            key = frozenset(cycle)
            if key not in seen:
                seen.add(key)
                found.append(cycle)
    return found


def test_graph_sees_function_level_and_submodule_imports():
    graph = import_graph()
    # portal/__init__.py imports the admin inside create_app(); portal.cli is imported as a submodule
    assert "admin_views" in graph["portal"]
    assert "portal.cli" in graph["portal"]


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles between the project's modules:\n" + "\n".join(" → ".join(c) for c in found)
