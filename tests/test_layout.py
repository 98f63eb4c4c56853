"""The layout holds: dependencies point one way, no import cycles, no module grows past about 600 lines.

The import graph is read from the source (every ``import`` and ``from ... import``, also the ones
inside functions), not from ``sys.modules``, so a lazy import that hides a cycle still counts.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("etl", "dashboard")
MAX_LINES = 600

# Lower layers never import higher ones (docs/architecture.md draws them). Within a layer, packages may use
# each other, but the package graph must stay acyclic (checked below). ``dashboard`` sits on top of ``etl``.
LAYERS: list[tuple[str, ...]] = [
    ("etl", "etl.config", "etl.errors", "etl.vocab", "etl.formula_guard"),
    ("etl.store",),
    ("etl.counterparts", "etl.geo", "etl.accounts"),
    ("etl.analysis",),
    ("etl.logs",),
    ("etl.feeds",),
    ("etl.intake",),
    ("etl.demo",),
    ("etl.sync",),
    ("etl.cli",),
    ("dashboard.registry",),
    ("dashboard.session",),
    ("dashboard.db",),
    ("dashboard.ui",),
    ("dashboard", "dashboard.lookup", "dashboard.snapshot"),
    ("dashboard.app_pages", "dashboard.streamlit_app", "dashboard.app_server", "dashboard.__main__"),
    # ``python -m etl``: the etl command line plus the sub-commands that read through the dashboard's views
    # (the monthly snapshot); nothing imports it.
    ("etl.__main__",),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules ``name`` imports (``from a import b`` counts ``a.b`` when that is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = project_modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                members.append(w)
                if w == v:
                    break
            if len(members) > 1:
                found.append(sorted(members))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def layer_of(module: str) -> tuple[int, str]:
    """(layer number, the package the layer names) for the longest matching prefix."""
    best = (-1, "")
    for number, names in enumerate(LAYERS):
        for prefix in names:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best[1]):
                best = (number, prefix)
    return best


def test_every_module_has_a_layer():
    assert [m for m in project_modules() if layer_of(m)[0] < 0] == []


def test_no_import_cycles_between_modules():
    assert cycles(graph()) == []


def test_dependencies_point_down_the_layers():
    upward = [f"{a} -> {b}" for a, targets in graph().items() for b in targets
              if layer_of(b)[0] > layer_of(a)[0]]
    assert upward == []


def test_packages_depend_on_each_other_one_way():
    by_package: dict[str, set[str]] = defaultdict(set)
    for a, targets in graph().items():
        for b in targets:
            pa, pb = layer_of(a)[1], layer_of(b)[1]
            if pa != pb:
                by_package[pa].add(pb)
    assert cycles(by_package) == []


# The one data-layer module bound to Streamlit: it caches connections and results with Streamlit's caches
# and runs a page's queries as the signed-in user.
STREAMLIT_IN_DATA_LAYER = {"dashboard.db.connection"}


def test_the_data_layer_draws_nothing():
    """``dashboard/db`` (scope, filters, queries, disclosure) is testable without Streamlit."""
    drawing = []
    for name, path in project_modules().items():
        if name.startswith("dashboard.db") and name not in STREAMLIT_IN_DATA_LAYER:
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                drawing += [f"{name} imports {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert drawing == []


@pytest.mark.parametrize("folder", ["etl", "dashboard", "bench", "scripts"])
def test_no_module_over_600_lines(folder):
    long = {str(p.relative_to(REPO)): n for p in sorted((REPO / folder).rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these by job (docs/architecture.md says where): {long}"


def test_the_checks_can_see_a_cycle_and_an_upward_import():
    """The graph code itself: a hand-made graph with one cycle and one clean chain."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert layer_of("etl.store.db")[0] < layer_of("etl.logs.load")[0] < layer_of("etl.cli.main")[0]
    assert layer_of("dashboard.db.queries")[0] > layer_of("etl.cli.main")[0]
