"""The schema is declared once, and data/README.md documents exactly it."""

from __future__ import annotations

import re

from attrition.locations import REPO_ROOT
from attrition.schema import TABLES


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
