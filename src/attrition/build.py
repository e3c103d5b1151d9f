"""Write the tidy tables as CSV, all or nothing, byte-identical from one run to the next."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from attrition import resolve, tables
from attrition.dataset import Dataset


def tidy_tables(ds: Dataset, as_of: date | str | None = None) -> dict[str, pd.DataFrame]:
    """Every derived table, keyed by the file name it is written under."""
    spells = tables.spells(ds, as_of)
    monthly = [tables.headcount(ds, company).assign(company=company) for company in ds.companies]
    return {
        "events.csv": resolve.events(ds),
        "conflicts.csv": resolve.conflicts(ds),
        "spells.csv": spells,
        "hires.csv": spells[spells["cohort"] != "founder"].reset_index(drop=True),
        "headcount_monthly.csv": pd.concat(monthly, ignore_index=True)[["company", "date", "lo", "hi"]],
        "milestones.csv": resolve.milestones(ds),
    }


def write_tables(ds: Dataset, out_dir: Path, as_of: date | str | None = None) -> list[Path]:
    """Write all tables into `out_dir`; files appear only once every table has been written."""
    frames = tidy_tables(ds, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir))
    try:
        for name, frame in frames.items():
            frame.to_csv(staging / name, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        written = []
        for name in frames:
            os.replace(staging / name, out_dir / name)
            written.append(out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
