"""The schema is declared once, data/README.md documents exactly it, and imports run one way."""

from __future__ import annotations

import ast
import re

from attrition.locations import REPO_ROOT
from attrition.schema import TABLES

PACKAGE = REPO_ROOT / "src" / "attrition"
LAYERS = {
    "ground": {"locations", "schema", "result", "text", "outputs", "synthetic"},
    "data": {"engine", "spark_engine", "csvfiles", "checks", "cache", "dataset", "roster_import", "aiwatch"},
    "core": {"core", "tables", "roster"},
    "measures": {"estimators", "rates", "metrics", "survival", "hiring", "peers", "overview", "facts", "registry",
                 "claims_file", "claims", "flows", "open_data"},
    "presentation": {"plots", "presentation", "figures", "site", "report", "build", "cli", "bench"},
}
ORDER = list(LAYERS)


def _readme_tables() -> dict[str, list[tuple[str, str]]]:
    """file name -> [(column, description)] from each '## <file>' section's table."""
    text = (REPO_ROOT / "data" / "README.md").read_text()
    sections = re.split(r"^## ", text, flags=re.M)
    tables = {}
    for section in sections[1:]:
        name = section.split(":", 1)[0].split()[0]
        rows = re.findall(r"^\| ([^|]+?) \| (.+) \|$", section, re.M)
        tables[name] = [(c.strip(), d) for c, d in rows if c.strip() not in ("column", "---")]
    return tables


def test_readme_lists_exactly_the_schema_columns_in_order() -> None:
    tables = _readme_tables()
    for spec in TABLES.values():
        documented = [name.strip() for cell, _ in tables[spec.file] for name in cell.split(",")]
        assert documented == list(spec.column_names), spec.file


def test_readme_names_every_allowed_value() -> None:
    tables = _readme_tables()
    for spec in TABLES.values():
        rows = {name.strip(): text for cell, text in tables[spec.file] for name in cell.split(",")}
        for column in spec.of_kind("enum"):
            for value in column.values:
                assert f"`{value}`" in rows[column.name], f"{spec.file} {column.name}: {value} undocumented"


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("attrition"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("attrition."))
    return found - {module}


def test_every_module_has_a_layer() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set().union(*LAYERS.values())


def test_imports_only_go_down_the_layers_and_never_in_a_cycle() -> None:
    layer = {m: ORDER.index(name) for name, members in LAYERS.items() for m in members}
    graph = {m: _imports(m) for m in layer}
    for module, targets in graph.items():
        for target in targets:
            assert layer[target] <= layer[module], f"{module} ({ORDER[layer[module]]}) imports {target} (above)"
    seen, stack = set(), []

    def visit(m: str) -> None:
        assert m not in stack, "import cycle: " + " -> ".join([*stack, m])
        if m in seen:
            return
        stack.append(m)
        for t in graph[m]:
            visit(t)
        stack.pop()
        seen.add(m)

    for module in graph:
        visit(module)


def test_the_loader_does_not_reach_into_claims_or_metrics() -> None:
    assert not {"claims", "registry", "metrics"} & _imports("dataset")
