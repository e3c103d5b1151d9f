"""Write the tidy tables as CSV, all or nothing, byte-identical from one run to the next.

The engine writes each table itself (no pandas in between, so a million spells cost seconds):
dates as ISO days, text that a spreadsheet would run as a formula prefixed with an apostrophe.
The output folder is replaced whole (see attrition.outputs), and the data folder is never written.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from attrition import progress
from attrition.backends.duckdb import literal
from attrition.core import tables
from attrition.core.scope import Scope, freeze_day
from attrition.io.dataset import Dataset
from attrition.io.outputs import FORMULA_START, exclusive, replace_folder


def tidy_queries(ds: Dataset, as_of: date | str | None = None) -> dict[str, str]:
    """Every derived table as of one day, as the SQL that produces it, keyed by the file name it is written under:
    each holds only what may have happened by that day (an event, a conflict over one, a milestone, a spell).

    The large ones are read from tables stored in their order (`tables.derived`): events, and the spells at the
    freeze date, which the cache keeps too; spells as of another day are sorted once here. Hires are a subset
    of the spells, read in the same order."""
    scope = Scope.of(ds, as_of=as_of)
    cutoff = scope.day
    no_one = ("SELECT '' AS company, 0 AS day, 0 AS lo, 0 AS hi WHERE false", [])
    ds.engine.table("headcount_out", *(tables.headcount_sql(ds, scope) or no_one))
    if cutoff == freeze_day(ds):
        spells = ds.engine.view("spells_out", tables.spells_sql(ds, scope, ordered=False))
    else:
        spells = ds.engine.sorted_table("spells_out", tables.spells_sql(ds, scope, ordered=False), tables.SPELL_ORDER)
    return {
        "events.csv": tables.events_sql(ds, cutoff, ordered=False),
        "conflicts.csv": tables.conflicts_sql(ds, cutoff),
        "spells.csv": ds.engine.in_order(spells, tables.SPELL_ORDER),
        "hires.csv": ds.engine.in_order(spells, tables.SPELL_ORDER, "WHERE cohort <> 'founder' AND spell = 1"),
        "headcount_monthly.csv": "SELECT company, DATE '1970-01-01' + day AS date, lo, hi FROM headcount_out "
                                 "ORDER BY company, day",
        "milestones.csv": tables.milestones_sql(ds, cutoff),
    }


def export_sql(ds: Dataset, sql: str) -> str:
    """The query with day numbers as dates, empty text as empty cells and formula-like text made safe
    (a spreadsheet would run a cell that starts like a formula; it gets a leading apostrophe)."""
    formula = ", ".join(map(literal, FORMULA_START))
    parts = []
    for name, text in ds.engine.columns(sql):
        column = f'"{name}"'
        if name in tables.DATE_COLUMNS:
            parts.append(f"DATE '1970-01-01' + {column} AS {column}")
        elif text:
            parts.append(f"CASE WHEN substr({column}, 1, 1) IN ({formula}) THEN '''' || {column} "
                         f"ELSE NULLIF({column}, '') END AS {column}")
        else:
            parts.append(column)
    return f"SELECT {', '.join(parts)} FROM ({sql}) AS t"


def write_tables(ds: Dataset, out_dir: Path, as_of: date | str | None = None) -> list[Path]:
    """Write all tables into `out_dir`, replacing it whole; returns the files written."""
    queries = tidy_queries(ds, as_of)
    with exclusive(out_dir), replace_folder(out_dir) as staging, progress.steps(len(queries), "writing tables") as bar:
        for name, sql in queries.items():
            bar.next(name)
            ds.engine.write_csv(export_sql(ds, sql), staging / name)
    return [out_dir / name for name in queries]
