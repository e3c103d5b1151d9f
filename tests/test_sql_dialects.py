"""The SQL each engine is given, as text: the checks of the input tables and the core's relations, written by
DuckDB's and Spark's `Spelling`, compared with the copies kept under tests/sql/ (as Ibis snapshots its SQL per
backend). A change to a query or to one engine's spelling shows in review as a diff of those files, and these
tests need neither Java nor Spark.

After an intended change, rewrite the copies and read their diff before committing:
    ATTRITION_SQL_SNAPSHOTS=update .venv/bin/python -m pytest tests/test_sql_dialects.py
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from attrition.backends.duckdb import Spelling
from attrition.backends.spark import SparkSpelling
from attrition.core import departures, lineage, lookups, relations
from attrition.io import checks
from attrition.schema import TABLES

SNAPSHOTS = Path(__file__).parent / "sql"
SPELLINGS = {"duckdb": Spelling(), "spark": SparkSpelling()}
CUTOFF = 20_454
"""A fixed day (2026-01-01), so the text does not move with the data's freeze date."""
FREEZE = date(2026, 1, 1)


class Recorder:
    """Stands in for an engine: keeps every statement it is given, in order, and runs none. Count queries are
    answered 1 (every table has flagged records, every group a repeated source) and the one-row summary of
    `structure_holds` with zeros, so every query of the checks is reached."""

    def __init__(self, spelling: Spelling) -> None:
        self.spelling = spelling
        self.statements: list[tuple[str, str]] = []

    def table(self, name: str, sql: str, params: list | None = None) -> str:
        self.statements.append((f"table {name}", sql))
        return name

    def view(self, name: str, sql: str) -> str:
        self.statements.append((f"view {name}", sql))
        return name

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        self.statements.append(("query", sql))
        if sql.startswith("SELECT (SELECT"):  # counts of flagged records per table, or the summary of the spells
            return [(0 if " AS c0" in sql else 1,) * 64]
        return [(1,)] if sql.startswith("SELECT count(*)") else []

    def drop(self, name: str) -> None:
        self.statements.append((f"drop {name}", ""))

    @contextlib.contextmanager
    def joins_as_written(self) -> Iterator[None]:
        yield


def _checks(spelling: Spelling) -> list[tuple[str, str]]:
    """The statements of reading and checking every input table, as `attrition validate` runs them: DuckDB over
    the CSV files' records in file order, Spark over Parquet files that number their records."""
    engine, numbered = Recorder(spelling), isinstance(spelling, SparkSpelling)
    for spec in TABLES.values():
        checks.typed_table(engine, spec, f"{spec.name}_text", FREEZE, numbered)
    checks.check_tables(engine, list(TABLES.values()), FREEZE, numbered)
    checks.check_spells(engine)
    return engine.statements


def _core(spelling: Spelling) -> list[tuple[str, str]]:
    """The core's relations, from the evidence grouped by event to life tables and head counts, then the records
    looked up by key, the departures counted for the measures and the founders' former companies (`lookups`,
    `departures`, `lineage`: their `{slots}` name the derived tables, clauses and numbers filled in when run; the
    prior affiliations are also given as each engine spells them)."""
    ids = spelling.ordered_ids("source_id")
    one = "WHERE company = ?"
    readings = relations.readings("lasting", CUTOFF, "person_id, company", one)
    bounds = relations.interval_bounds("lasting", CUTOFF, "person_id, company", one)
    standing = relations.standing(CUTOFF)
    return [
        ("events", relations.events("event_groups", ids)),
        ("milestones", relations.milestones(ids)),
        ("spell_ends", relations.spell_ends("events")),
        ("sightings", relations.sightings()),
        ("spells", relations.spells(CUTOFF, "events", "spell_ends", "spell_sightings")),
        ("spells on days asked", relations.spells("day", "events_on_days", "spell_ends", "spell_sightings")),
        ("lasting", relations.lasting("spells", CUTOFF)),
        ("lasting of one company", relations.lasting("(SELECT * FROM spells WHERE company = ?) AS spells", CUTOFF)),
        ("readings", readings),
        ("life table", relations.life_table(readings, "company")),
        ("interval bounds", bounds),
        ("interval table", relations.interval_table(bounds, "company")),
        ("departure bounds", relations.departure_bounds(
            "latest_spells", CUTOFF, "company", one,
            {"departed": spelling.ordered_ids(f"CASE WHEN {standing['departed']} THEN person_id END")})),
        ("headcount", relations.headcount("spells", "calendar", "grid", one)),
        ("moves between", relations.moves_between("lasting")),
        *((f"lookup: {relation.name}", relation.template) for relation in lookups.RELATIONS),
        *((f"departures: {relation.name}", relation.template) for relation in departures.RELATIONS),
        *((f"lineage: {relation.name}", relation.template) for relation in lineage.RELATIONS),
        ("lineage: prior affiliations, spelt", lineage.prior_sql(spelling)),
    ]


def _text(statements: list[tuple[str, str]]) -> str:
    """One file: each statement under a comment naming it, its lines without trailing spaces or common indent."""
    blocks = []
    for name, sql in statements:
        lines = [line.rstrip() for line in sql.strip("\n").splitlines()]
        indent = min((len(line) - len(line.lstrip()) for line in lines[1:] if line), default=0)
        body = "\n".join([lines[0].strip(), *(line[indent:] for line in lines[1:])]) if lines else ""
        blocks.append(f"-- {name}\n{body}".rstrip())
    return "\n\n".join(blocks) + "\n"


RENDERED = {(dialect, part): _text(make(spelling)) for dialect, spelling in SPELLINGS.items()
            for part, make in (("checks", _checks), ("core", _core))}


@pytest.mark.parametrize("dialect, part", sorted(RENDERED))
def test_each_engines_sql_is_the_text_kept_for_review(dialect: str, part: str) -> None:
    path = SNAPSHOTS / dialect / f"{part}.sql"
    text = RENDERED[dialect, part]
    if os.environ.get("ATTRITION_SQL_SNAPSHOTS") == "update":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    kept = path.read_text(encoding="utf-8") if path.exists() else ""
    diff = "".join(list(difflib.unified_diff(kept.splitlines(True), text.splitlines(True), str(path), "now"))[:80])
    assert text == kept, (f"the {dialect} SQL changed; read the diff, then rewrite the copies with "
                          f"ATTRITION_SQL_SNAPSHOTS=update (see this file's docstring):\n{diff}")


def _functions(sql: str) -> set[str]:
    return {name.lower() for name in re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", sql)}


def _spelled(spelling: Spelling) -> set[str]:
    """The SQL functions one engine's spelling writes (each method called on placeholder arguments)."""
    names = set()
    for method in (m for m in dir(Spelling) if not m.startswith("_")):
        call = getattr(spelling, method)
        arguments = call.__code__.co_argcount - 1
        names |= _functions(call(*(["x"] * arguments)))
    return names


@pytest.mark.parametrize("dialect, other", [("spark", "duckdb"), ("duckdb", "spark")])
def test_no_engine_is_given_a_function_only_the_other_spells(dialect: str, other: str) -> None:
    """A function only one engine's spelling uses (DuckDB's `list_sort`, Spark's `collect_list`) written straight
    into shared SQL would fail on the other engine: no statement may name one outside the spelling."""
    only_other = _spelled(SPELLINGS[other]) - _spelled(SPELLINGS[dialect])
    assert {"list_sort", "collect_list"} & only_other, "the two spellings differ where expected"
    text = RENDERED[dialect, "checks"] + RENDERED[dialect, "core"]
    assert _functions(text) & only_other == set(), f"{dialect} SQL names {other}-only functions"


def test_the_kept_copies_can_fail() -> None:
    """The comparison sees a one-character change in one engine's spelling."""
    changed = _text([("events", relations.events("event_groups", SPELLINGS["spark"].ordered_ids("source")))])
    assert changed not in RENDERED["spark", "core"]
    assert _text(_core(SPELLINGS["duckdb"])) != _text(_core(SPELLINGS["spark"])), "the engines' core texts differ"
