"""The tables `attrition build` writes hold to their declared schema (`attrition.schema.PUBLISHED`), as the input
tables do: the header, each column's type and values, and the key no two rows share. The README's table of them
is made from the same declaration."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from attrition.cli import main
from attrition.locations import REPO_ROOT
from attrition.schema import PUBLISHED, SLUG_PATTERN, Published

TYPES = {"slug": "VARCHAR", "text": "VARCHAR", "enum": "VARCHAR", "date": "DATE", "int": "BIGINT", "bool": "BOOLEAN"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("published") / "tables"
    assert main(["build", "--out", str(out)]) == 0
    return out


def _problems(path: Path, table: Published) -> list[str]:
    """What in one written file breaks its declaration (the file is read with the declared types, so a value of
    another type is a problem too)."""
    header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    if tuple(header) != table.column_names:
        return [f"{path.name}: header {header} is not {list(table.column_names)}"]
    columns = {f.name: TYPES[f.kind] for f in table.fields}
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv(?, header=true, auto_detect=false, columns={columns!r})",
                    [str(path)])
    except duckdb.Error as error:
        return [f"{path.name}: a value is not of its declared type: {error}"]
    problems = []
    for f in table.fields:
        if f.kind == "enum":
            allowed = [v for v in f.values if v]
            (bad,), = con.execute(f'SELECT count(*) FROM t WHERE "{f.name}" IS NOT NULL AND NOT list_contains(?, "{f.name}")',
                                  [allowed]).fetchall()
        elif f.kind == "slug":
            (bad,), = con.execute(f'SELECT count(*) FROM t WHERE NOT regexp_full_match(coalesce("{f.name}", \'\'), ?)',
                                  [SLUG_PATTERN]).fetchall()
        else:
            continue
        if bad:
            problems.append(f"{path.name}: {bad} values of {f.name} are not {f.kind}s as declared")
    key = ", ".join(f'"{k}"' for k in table.key)
    (rows, distinct), = con.execute(f"SELECT count(*), count(DISTINCT ({key})) FROM t").fetchall()
    if rows != distinct:
        problems.append(f"{path.name}: {rows - distinct} rows repeat the key {table.key}")
    if not rows:
        problems.append(f"{path.name}: no rows to check")
    return problems


def test_build_writes_exactly_the_published_tables_as_declared(built) -> None:
    assert sorted(p.name for p in built.glob("*.csv")) == sorted(PUBLISHED)
    problems = [p for name, table in PUBLISHED.items() for p in _problems(built / name, table)]
    assert problems == []


def test_a_file_that_breaks_its_declaration_is_caught(built, tmp_path) -> None:
    """The check can fail: a renamed column, a value of another type, an unknown status and a repeated key."""
    spells = (built / "spells.csv").read_text(encoding="utf-8")
    header, first, rest = spells.split("\n", 2)
    table = PUBLISHED["spells.csv"]
    cases = {"renamed": spells.replace("tenure_lo_days", "tenure_low", 1),
             "typed": header + "\n" + re.sub(r",(\d+),(\d+),", r",many,\2,", first, count=1) + "\n" + rest,
             "status": spells.replace(",departed,", ",maybe,", 1),
             "repeated": f"{header}\n{first}\n{first}\n{rest}"}
    for name, text in cases.items():
        path = tmp_path / name / "spells.csv"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        assert _problems(path, table), f"the {name} file passed"


def readme_table() -> str:
    """The README's description of what `attrition build` writes, made from the declaration."""
    lines = []
    for table in PUBLISHED.values():
        lines += [f"- **`{table.file}`**: {table.about}; no two rows share "
                  f"{', '.join(f'`{k}`' for k in table.key)}. Columns:"]
        lines += [f"  `{f.name}` ({f.kind}{': ' + ', '.join(v or '(empty)' for v in f.values) if f.values else ''}) "
                  f"{f.meaning}" + (";" if i < len(table.fields) - 1 else ".") for i, f in enumerate(table.fields)]
    return "\n".join(lines) + "\n"


def test_the_readme_describes_every_published_column_as_declared() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme, "README.md: rewrite the list under 'What build writes' from schema.PUBLISHED"


def test_the_downloads_readme_describes_every_column_of_each_tidy_table() -> None:
    from attrition.site.downloads import readme

    text = readme([{"name": name, "about": table.about} for name, table in PUBLISHED.items()], [], "2026-01-01")
    missing = [(name, f.name) for name, table in PUBLISHED.items() for f in table.fields
               if f"  - `{f.name}` ({f.kind}): {f.meaning}" not in text]
    assert missing == [] and text.count("`spells.csv`") == 1
