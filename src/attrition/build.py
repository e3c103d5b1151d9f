"""Write the tidy tables as CSV, all or nothing, byte-identical from one run to the next.

The output folder is replaced as a whole: tables are written to a staging folder beside it and
renamed into place, so a reader (or a killed run) never sees a mix of two builds, and a lock file
keeps two builds from writing the same folder at once. The data folder itself is never written.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd

from attrition import roster
from attrition.dataset import Dataset
from attrition.outputs import exclusive, replace_folder

FORMULA_START = ("=", "+", "-", "@")


def tidy_tables(ds: Dataset, as_of: date | str | None = None) -> dict[str, pd.DataFrame]:
    """Every derived table as of one day, keyed by the file name it is written under."""
    spells = roster.spells(ds, as_of)
    return {
        "events.csv": roster.events(ds),
        "conflicts.csv": roster.conflicts(ds),
        "spells.csv": spells,
        "hires.csv": spells[(spells["cohort"] != "founder") & (spells["spell"] == 1)].reset_index(drop=True),
        "headcount_monthly.csv": roster.headcount_table(ds, as_of),
        "milestones.csv": roster.milestones(ds),
    }


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (=, +, -, @ first) get a leading apostrophe."""
    out = frame.copy()
    for column in out.columns[out.dtypes == object]:
        text = out[column]
        risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
        out.loc[risky, column] = "'" + text[risky]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """One table as CSV: ISO dates, LF line ends, formula-safe text."""
    formula_safe(frame).to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n",
                               quoting=csv.QUOTE_MINIMAL)


def write_tables(ds: Dataset, out_dir: Path, as_of: date | str | None = None) -> list[Path]:
    """Write all tables into `out_dir`, replacing it whole; returns the files written."""
    frames = tidy_tables(ds, as_of)
    with exclusive(out_dir):
        with replace_folder(out_dir) as staging:
            for name, frame in frames.items():
                write_csv(frame, staging / name)
    return [out_dir / name for name in frames]

