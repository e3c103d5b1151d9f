"""The package's layers are its folders, and imports only run down them.

From the ground up: the top-level modules (schema, days, text...), `backends/` (DuckDB, Spark),
`io/` (reading, checking, caching, writing), `core/` (the relational core), `measures/`, then
`claims/` and `findings/` side by side (neither imports the other), `site/`, the command line
(`cli.py`) and `dev/` (benchmark, synthetic rosters). A module may import from its own layer or
any layer below, never above, and never in a cycle.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from attrition.locations import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "attrition"
LEVELS = {"ground": 0, "backends": 1, "io": 2, "core": 3, "measures": 4, "claims": 5, "findings": 5, "site": 6,
          "cli": 7, "dev": 8}
"""Each layer's level; layers on one level (claims, findings) may not import each other."""


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (`io.dataset`), the package's own __init__ aside."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts == ("__init__",):
            continue
        found[".".join(p for p in parts if p != "__init__") or parts[0]] = path
    return found


def layer(module: str) -> str:
    """The layer of a dotted module name: its folder, or `cli` / `ground` for a top-level module."""
    top = module.split(".")[0]
    if top in LEVELS and (PACKAGE / top).is_dir():
        return top
    return "cli" if top == "cli" else "ground"


@cache
def imports(module: str) -> frozenset[str]:
    """The package modules `module` imports (at the top or inside functions), by dotted name."""
    modules = _modules()
    found = set()
    for node in ast.walk(ast.parse(modules[module].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("attrition"):
            base = node.module.removeprefix("attrition").removeprefix(".")
            for alias in node.names:
                name = f"{base}.{alias.name}" if base else alias.name
                found.add(name if name in modules else base)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("attrition.") for a in node.names if a.name.startswith("attrition."))
    return frozenset(found - {module, ""})


def test_every_folder_is_a_layer_and_every_module_has_one() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LEVELS) - {"ground", "cli"}
    assert {layer(m) for m in _modules()} <= set(LEVELS)


def upward(graph: dict[str, frozenset[str]]) -> list[str]:
    """Every import in `graph` (module: modules it imports) that goes up a layer or sideways between layers."""
    return [f"{m} ({layer(m)}) imports {t} ({layer(t)})" for m, targets in sorted(graph.items()) for t in sorted(targets)
            if layer(t) != layer(m) and LEVELS[layer(t)] >= LEVELS[layer(m)]]


def test_imports_only_go_down_the_layers() -> None:
    assert upward({m: imports(m) for m in _modules()}) == []


def test_an_upward_or_sideways_import_is_caught() -> None:
    planted = {"io.dataset": frozenset({"measures.survival"}), "claims.ledger": frozenset({"findings.report"}),
               "measures.survival": frozenset({"core.roster"})}
    assert upward(planted) == ["claims.ledger (claims) imports findings.report (findings)",
                               "io.dataset (io) imports measures.survival (measures)"]


def test_no_import_cycle_between_modules() -> None:
    graph = {m: imports(m) for m in _modules()}
    done, path = set(), []

    def visit(m: str) -> None:
        assert m not in path, "import cycle: " + " -> ".join([*path, m])
        if m not in done:
            path.append(m)
            for target in graph[m]:
                visit(target)
            path.pop()
            done.add(m)

    for module in graph:
        visit(module)


def test_the_layers_stack_at_most_nine_deep() -> None:
    """The longest chain of layers an import can pass through, ground included."""
    edges = {(layer(m), layer(t)) for m in _modules() for t in imports(m) if layer(m) != layer(t)}

    @cache
    def depth(node: str) -> int:
        return 1 + max((depth(t) for f, t in edges if f == node), default=0)

    assert max(depth(name) for name in LEVELS) <= 9


def test_the_loader_does_not_reach_into_claims_or_measures() -> None:
    assert not {layer(t) for t in imports("io.dataset")} & {"claims", "measures", "findings"}
