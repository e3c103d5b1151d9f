"""Turn many sources' statements about one event into one dated event, keeping disagreements visible.

Sources that agree narrow the date: their intervals are intersected. Sources whose intervals do not
overlap are in conflict: the event keeps the hull of all intervals (the widest honest range) and is
flagged, and `conflicts()` lists every source's version side by side. Nothing is dropped.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from attrition.dataset import Dataset

EVENT_KEY = ["person_id", "company", "spell", "event"]


def _resolve_group(rows: pd.DataFrame) -> pd.Series:
    lo, hi = rows["earliest"].max(), rows["latest"].min()
    conflict = bool(lo > hi)
    if conflict:
        lo, hi = rows["earliest"].min(), rows["latest"].max()
    return pd.Series(
        {
            "earliest": lo,
            "latest": hi,
            "conflict": conflict,
            "n_sources": len(rows),
            "source_ids": ";".join(sorted(rows["source_id"])),
        }
    )


def events(ds: Dataset) -> pd.DataFrame:
    """One row per person, company, spell and event type, with the resolved date interval."""
    return _events(ds).copy()


@lru_cache(maxsize=8)
def _events(ds: Dataset) -> pd.DataFrame:
    resolved = (
        ds.evidence.groupby(EVENT_KEY, sort=True)[["earliest", "latest", "source_id"]]
        .apply(_resolve_group)
        .reset_index()
    )
    resolved["conflict"] = resolved["conflict"].astype(bool)
    resolved["n_sources"] = resolved["n_sources"].astype(int)
    people = ds.people[["person_id", "company", "name", "cohort"]]
    out = resolved.merge(people, on=["person_id", "company"], how="left", validate="many_to_one")
    columns = [*EVENT_KEY[:2], "name", "cohort", *EVENT_KEY[2:], "earliest", "latest", "conflict", "n_sources", "source_ids"]
    return out[columns].sort_values([*EVENT_KEY[:3], "earliest", "event"], ignore_index=True)


def conflicts(ds: Dataset) -> pd.DataFrame:
    """Every source's interval for each event whose sources do not overlap, side by side."""
    flagged = events(ds).loc[lambda e: e["conflict"], EVENT_KEY + ["earliest", "latest"]]
    flagged = flagged.rename(columns={"earliest": "resolved_earliest", "latest": "resolved_latest"})
    rows = ds.evidence.merge(flagged, on=EVENT_KEY)
    columns = [*EVENT_KEY, "source_id", "earliest", "latest", "paraphrase", "resolved_earliest", "resolved_latest"]
    return rows[columns].sort_values([*EVENT_KEY, "earliest", "source_id"], ignore_index=True)


def milestones(ds: Dataset) -> pd.DataFrame:
    """Company milestones resolved like events: one row per milestone, conflicts flagged."""
    grouped = ds.milestones.groupby(["company", "milestone_id"], sort=True)
    resolved = grouped[["earliest", "latest", "source_id"]].apply(_resolve_group).reset_index()
    labels = grouped["label"].first().reset_index()
    out = resolved.merge(labels, on=["company", "milestone_id"])
    out["conflict"] = out["conflict"].astype(bool)
    out["n_sources"] = out["n_sources"].astype(int)
    columns = ["company", "milestone_id", "label", "earliest", "latest", "conflict", "n_sources", "source_ids"]
    return out[columns].sort_values(["company", "earliest", "milestone_id"], ignore_index=True)
