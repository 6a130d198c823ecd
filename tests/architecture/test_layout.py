"""The layout of architecture.md, checked on the source: floors import only downward, no cycles,
imports inside functions only with a reason, no module past 500 lines."""

from __future__ import annotations

import pytest

from tests.architecture.graph import ROOT, build, cycles, nested_statements

# Each floor, lowest first; a module may import its own floor and the ones below it.
FLOORS = (
    ("config", 0),
    ("market.core", 1),
    ("market.search", 1),  # search infrastructure: on the ground floor's level
    ("market.web", 2),
    ("market.accounts", 3),
    ("listings", 4),
    ("market.payments", 5),
    ("market.deals", 6),
    ("matching", 7),
    ("market.statistics", 8),
    ("market", 9),  # the shell: factory, cli, demo, backup, site pages, the model registry
)
# Data tables and the demo's texts may be long; code may not.
LONG_ALLOWED = {"market.demo.topics"}
MAX_LINES = 500
MAX_NESTED_IMPORTS = 15


def floor_of(module: str) -> int:
    for prefix, floor in FLOORS:
        if module == prefix or module.startswith(prefix + "."):
            return floor
    raise AssertionError(f"{module} belongs to no floor of architecture.md")


@pytest.fixture(scope="module")
def graph():
    return build()


def test_no_module_imports_a_floor_above_its_own(graph):
    upward = [f"{i.source}:{i.line} imports {i.target}" for i in graph.imports
              if not i.implicit and floor_of(i.target) > floor_of(i.source)]
    assert upward == []


def test_there_are_no_import_cycles_between_modules(graph):
    # Imports at module level: those run when the module loads (the few nested ones run later).
    assert cycles(graph.edges(nested=False)) == []


def test_imports_inside_functions_are_few_and_each_says_why(graph):
    nested = [i for i in nested_statements(graph) if not i.implicit]
    assert len(nested) <= MAX_NESTED_IMPORTS
    assert [f"{i.source}:{i.line}" for i in nested if not i.comment] == []


def test_no_module_is_longer_than_500_lines(graph):
    long = {name: n for name, path in graph.modules.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES and name not in LONG_ALLOWED}
    assert long == {}


def test_the_ground_floor_imports_no_flask_blueprint_or_feature(graph):
    core = [name for name in graph.modules if name.startswith("market.core.")]
    assert core, "market/core exists"
    for name in core:
        assert "Blueprint(" not in graph.modules[name].read_text(encoding="utf-8"), name


def test_the_factory_lists_every_blueprint():
    """Every Blueprint(...) in the code is registered by name in market/factory.py."""
    factory = (ROOT / "market" / "factory.py").read_text(encoding="utf-8")
    defined = []
    for package in ("market", "listings", "matching"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "= Blueprint(" in text:
                defined.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    missing = [module for module in defined if module not in factory
               and module.rpartition(".")[0] not in factory]
    assert missing == []


def test_the_graph_sees_a_planted_cycle_and_an_upward_import(tmp_path):
    """The checks above could pass by reading nothing: the analyser must find what it is meant to."""
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert floor_of("market.core.db") < floor_of("listings.models") < floor_of("market.deals.models")


def test_nothing_registers_by_side_effect_of_a_guarded_or_late_import(graph):
    """No find_spec guards, no import_module by name, no imports after code (noqa: E402)."""
    found = []
    for name, path in graph.modules.items():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "find_spec(" in line or "import_module(" in line or "noqa: E402" in line:
                found.append(f"{name}:{number}")
    assert found == []
