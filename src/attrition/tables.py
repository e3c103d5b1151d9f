"""Tidy tables built from the resolved events: spells, hires and headcount as of a date.

Every table takes an `as_of` date that defaults to the dataset's freeze date, so that nothing depends
on the day the code runs. Date uncertainty is kept as [lo, hi] bounds all the way through.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from attrition.dataset import END_EVENTS, START_EVENTS, Dataset
from attrition.resolve import events

SPELL_KEY = ["person_id", "company", "spell"]


def as_of_timestamp(ds: Dataset, as_of: date | str | pd.Timestamp | None) -> pd.Timestamp:
    """The as-of date as a Timestamp: the freeze date unless the caller names another day."""
    return pd.Timestamp(ds.freeze_date if as_of is None else as_of).normalize()


def spells(ds: Dataset, as_of: date | str | None = None) -> pd.DataFrame:
    """One row per person and company spell that had (possibly) started by `as_of`.

    status: `departed` when the end's latest date is on or before as_of, `active` when the end's
    earliest date is after it (or there is no end), `uncertain` otherwise. `joined` is `uncertain`
    when the start interval straddles as_of. A step_back counts as leaving; `end_event` says which.
    """
    cutoff = as_of_timestamp(ds, as_of)
    ev = events(ds)
    starts = ev[ev["event"].isin(START_EVENTS)].rename(
        columns={"earliest": "start_lo", "latest": "start_hi", "conflict": "start_conflict", "source_ids": "start_sources"}
    )
    ends = (
        ev[ev["event"].isin(END_EVENTS)]
        .sort_values([*SPELL_KEY, "earliest", "event"])
        .drop_duplicates(SPELL_KEY, keep="first")
        .rename(columns={"event": "end_event", "earliest": "end_lo", "latest": "end_hi",
                         "conflict": "end_conflict", "source_ids": "end_sources"})
    )
    table = starts.merge(ends[[*SPELL_KEY, "end_event", "end_lo", "end_hi", "end_conflict", "end_sources"]],
                         on=SPELL_KEY, how="left", validate="one_to_one")
    table = table[table["start_lo"] <= cutoff].copy()
    table["end_event"] = table["end_event"].fillna("")
    table["end_conflict"] = table["end_conflict"].astype("boolean").fillna(False).astype(bool)
    table["end_sources"] = table["end_sources"].fillna("")
    table["joined"] = (table["start_hi"] <= cutoff).map({True: "yes", False: "uncertain"})
    table = with_status(table, cutoff)
    table["as_of"] = cutoff
    columns = [
        "person_id", "name", "company", "cohort", "spell", "start_lo", "start_hi", "joined",
        "end_event", "end_lo", "end_hi", "status", "tenure_lo_days", "tenure_hi_days",
        "start_conflict", "end_conflict", "start_sources", "end_sources", "as_of",
    ]
    return table[columns].sort_values(["company", "cohort", "start_lo", "person_id", "spell"], ignore_index=True)


def with_status(table: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Add status as of `cutoff` and tenure bounds in days, from start_lo/hi and end_lo/hi.

    A spell still open at `cutoff` is censored there; an end straddling it gives `uncertain`.
    """
    table = table.copy()
    table["status"] = "active"
    table.loc[table["end_hi"] <= cutoff, "status"] = "departed"
    table.loc[(table["end_lo"] <= cutoff) & (table["end_hi"] > cutoff), "status"] = "uncertain"
    end_lo = table["end_lo"].where(table["end_lo"] <= cutoff, cutoff).fillna(cutoff)
    end_hi = table["end_hi"].where(table["end_hi"] <= cutoff, cutoff).fillna(cutoff)
    table["tenure_lo_days"] = (end_lo - table["start_hi"]).dt.days.clip(lower=0).astype(int)
    table["tenure_hi_days"] = (end_hi - table["start_lo"]).dt.days.astype(int)
    return table


def hires(ds: Dataset, company: str, as_of: date | str | None = None) -> pd.DataFrame:
    """Everyone who joined `company` after its founding team (cohorts hire and executive)."""
    table = spells(ds, as_of)
    return table[(table["company"] == company) & (table["cohort"] != "founder")].reset_index(drop=True)


def headcount(ds: Dataset, company: str, freq: str = "MS", start: date | str | None = None,
              end: date | str | None = None, cohorts: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Named people at `company` on each date of a regular calendar (default: first of each month).

    `lo` counts those certainly there (joined and not yet possibly gone); `hi` adds those who may
    have been. This counts the named roster only, which for most companies is far from everyone.
    """
    table = spells(ds)
    table = table[table["company"] == company]
    if cohorts is not None:
        table = table[table["cohort"].isin(cohorts)]
    if table.empty:
        raise ValueError(f"no one from company {company!r} in the roster")
    first = pd.Timestamp(start) if start is not None else table["start_lo"].min()
    last = as_of_timestamp(ds, end)
    rows = []
    for day in pd.date_range(first, last, freq=freq):
        surely_in = (table["start_hi"] <= day) & ~(table["end_lo"] <= day)
        maybe_in = (table["start_lo"] <= day) & ~(table["end_hi"] <= day)
        rows.append({"date": day, "lo": int(surely_in.sum()), "hi": int(maybe_in.sum())})
    return pd.DataFrame(rows, columns=["date", "lo", "hi"])
