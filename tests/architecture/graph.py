"""The import graph of the application packages, read from the source with `ast` (no imports run).

Used by tests/architecture/test_layout.py and runnable by hand:
`python -m tests.architecture.graph` prints cycles, imports inside functions and floor violations.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("market", "listings", "matching", "config")


@dataclass
class Import:
    source: str        # importing module
    target: str        # imported module (resolved to a module that exists)
    line: int
    nested: bool       # inside a function or method
    comment: str = ""  # the source line's trailing comment, for nested imports
    implicit: bool = False  # a package whose __init__ runs because a module inside it is imported


@dataclass
class Graph:
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def edges(self, *, nested: bool | None = None) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {m: set() for m in self.modules}
        for imp in self.imports:
            if nested is None or imp.nested == nested:
                out[imp.source].add(imp.target)
        return out


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def build(root: Path = ROOT) -> Graph:
    graph = Graph()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            graph.modules[module_name(path)] = path
    for name, path in graph.modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source, str(path))
        is_package = path.name == "__init__.py"
        _visit(graph, name, is_package, tree, lines, nested=False)
    return graph


def _visit(graph: Graph, name: str, is_package: bool, node: ast.AST, lines: list[str], *, nested: bool):
    for child in ast.iter_child_nodes(node):
        inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if isinstance(child, ast.Import):
            for alias in child.names:
                _add(graph, name, alias.name, child, lines, nested)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                package = name if is_package else name.rpartition(".")[0]
                for _ in range(child.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            for alias in child.names:
                full = f"{base}.{alias.name}"
                target = full if full in graph.modules else base
                _add(graph, name, target, child, lines, nested)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            continue  # annotations only: no import at run time
        else:
            _visit(graph, name, is_package, child, lines, nested=inner)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _add(graph: Graph, source: str, name: str, node: ast.stmt, lines: list[str], nested: bool):
    target = _resolve(name, graph.modules)
    if target is None or target == source:
        return
    line = lines[node.lineno - 1]
    comment = line.split("#", 1)[1].strip() if "#" in line else ""
    graph.imports.append(Import(source, target, node.lineno, nested, comment))
    # Importing a.b.c first runs the packages a and a.b (their __init__), unless the importer sits
    # inside them already: those run too, and re-exports there can close a cycle.
    parts = target.split(".")
    for i in range(1, len(parts)):
        package = ".".join(parts[:i])
        if package in graph.modules and package != source and not (source + ".").startswith(package + "."):
            graph.imports.append(Import(source, package, node.lineno, nested, comment, implicit=True))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strongconnect(v: str):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    return found


def nested_statements(graph: Graph) -> list[Import]:
    """Imports inside functions, one per statement (an import of several names counts once)."""
    seen: dict[tuple[str, int], Import] = {}
    for imp in graph.imports:
        if imp.nested and not imp.implicit:
            seen.setdefault((imp.source, imp.line), imp)
    return list(seen.values())


def main() -> int:
    graph = build()
    # A package's __init__ importing its own submodules is not a cycle worth naming: drop
    # edges from a package to its children when computing cycles.
    found = cycles(graph.edges(nested=False))
    print(f"{len(graph.modules)} modules, {len(graph.imports)} import edges")
    print(f"cycles: {len(found)}")
    for component in found:
        print("  ", " <-> ".join(component))
    nested = nested_statements(graph)
    print(f"imports inside functions: {len(nested)}")
    for imp in nested:
        print(f"   {imp.source}:{imp.line} -> {imp.target}  # {imp.comment}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
