"""Seeded synthetic rosters in the curated format, for the benchmark and for scale tests.

Nothing here is a fact about anyone: companies are `co-0001`..., people `p-0000001`..., and every
date is drawn from a fixed random seed, so the same arguments always write the same bytes. The
draw follows the shape of real rosters: a few founders per company, about 60% of people leave
(5% of them by stepping back), 2% of leavers come back and half of those leave again, and each
event has one to three sources that give the day or only the month, sometimes in conflict.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FREEZE = np.datetime64("2026-11-22")
FIRST_FOUNDING, LAST_FOUNDING = np.datetime64("2010-01-01"), np.datetime64("2024-06-01")
N_SOURCES = 40


def _month_bounds(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    month = days.astype("datetime64[M]")
    return month.astype("datetime64[D]"), (month + 1).astype("datetime64[D]") - 1


def _founded(rng: np.random.Generator, n_companies: int) -> np.ndarray:
    return FIRST_FOUNDING + rng.integers(0, (LAST_FOUNDING - FIRST_FOUNDING).astype(int), n_companies)


def _spells(rng: np.random.Generator, n_people: int, n_companies: int, first: int = 0,
            founded: np.ndarray | None = None) -> pd.DataFrame:
    """One row per person and spell: company, cohort, start and end day (NaT while still there); people are
    numbered from `first`, and the companies' founding days drawn here unless given."""
    founded = _founded(rng, n_companies) if founded is None else founded
    company = (first + np.arange(n_people)) % n_companies
    cohort = np.where(rng.random(n_people) < 0.03, "founder", np.where(rng.random(n_people) < 0.02, "executive", "hire"))
    if first == 0:
        cohort[:n_companies] = "founder"
    room = (FREEZE - 30 - founded[company]).astype(int)
    start = founded[company] + np.where(cohort == "founder", 0, (rng.random(n_people) * room).astype(int))
    tenure = 90 + rng.exponential(900, n_people).astype(int)
    leaves = (rng.random(n_people) < 0.6) & (start + tenure <= FREEZE)
    end = np.where(leaves, start + tenure, np.datetime64("NaT"))
    first = pd.DataFrame({"person": first + np.arange(n_people), "company": company, "cohort": cohort, "spell": 1,
                          "start": start, "end": end, "end_event": np.where(rng.random(n_people) < 0.05,
                                                                            "step_back", "leave")})
    back = leaves & (rng.random(n_people) < 0.02)
    gap = 60 + rng.integers(0, 660, n_people)
    second_start = end + gap
    back &= second_start <= FREEZE
    again = back & (rng.random(n_people) < 0.5)
    second_end = second_start + 90 + rng.integers(0, 600, n_people)
    again &= second_end <= FREEZE
    second = pd.DataFrame({"person": first["person"][back], "company": company[back], "cohort": cohort[back],
                           "spell": 2, "start": second_start[back],
                           "end": np.where(again, second_end, np.datetime64("NaT"))[back], "end_event": "leave"})
    return pd.concat([first, second], ignore_index=True)


def _evidence(rng: np.random.Generator, events: pd.DataFrame, precision: str) -> pd.DataFrame:
    """One to three source rows per event; day or month precision; 3% of multi-source leaves conflict."""
    n_rows = rng.integers(1, 4, len(events))
    rows = events.loc[events.index.repeat(n_rows)].reset_index(drop=True)
    rank = np.arange(len(rows)) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    offset = rng.integers(0, N_SOURCES, len(events)).repeat(n_rows)
    rows["source"] = (offset + rank * 7) % N_SOURCES
    day = rows["day"].to_numpy().astype("datetime64[D]")
    monthly = {"day": np.zeros(len(rows), bool), "month": np.ones(len(rows), bool)}.get(
        precision, rng.random(len(rows)) < 0.5)
    lo, hi = _month_bounds(day)
    conflict = (rows["event"] == "leave").to_numpy() & (rank == 1) & (rng.random(len(rows)) < 0.03)
    shifted_lo, shifted_hi = _month_bounds((day.astype("datetime64[M]") - 2).astype("datetime64[D]"))
    earliest = np.where(conflict, shifted_lo, np.where(monthly, lo, day))
    latest = np.where(conflict, shifted_hi, np.where(monthly, hi, day))
    rows["earliest"], rows["latest"] = earliest, np.minimum(latest, FREEZE)
    return rows


PART = 1_000_000
"""Rosters larger than this are drawn and written this many people at a time, so memory stays bounded."""


def write_synthetic(folder: Path, n_people: int, n_companies: int, precision: str = "mixed", seed: int = 0) -> Path:
    """Write a complete dataset (dataset.toml and every CSV) with `n_people` over `n_companies`.

    Up to PART people are drawn at once; a larger roster is drawn in parts (each with its own seed, the
    companies' founding days shared) and appended part by part."""
    folder.mkdir(parents=True, exist_ok=True)
    if n_people <= PART:
        rng = np.random.default_rng(seed)
        _write_part(folder, rng, _spells(rng, n_people, n_companies), precision, header=True)
    else:
        founded = _founded(np.random.default_rng(seed), n_companies)
        for first in range(0, n_people, PART):
            rng = np.random.default_rng([seed, first])
            spells = _spells(rng, min(PART, n_people - first), n_companies, first, founded)
            _write_part(folder, rng, spells, precision, header=first == 0)
    (folder / "dataset.toml").write_text(f'[dataset]\nfreeze_date = "{FREEZE}"\n', encoding="utf-8")
    sources = pd.DataFrame({"source_id": [f"src-{i:02d}" for i in range(N_SOURCES)]})
    sources = sources.assign(publisher="Synthetic Wire", title="Generated for the benchmark", url="",
                             published="", language="en", note="synthetic")
    sources.to_csv(folder / "sources.csv", index=False, lineterminator="\n")
    (folder / "milestones.csv").write_text("company,milestone_id,label,earliest,latest,source_id,note\n")
    (folder / "reported_counts.csv").write_text(
        "count_id,company,measure,start,end,value,qualifier,scope_note,source_id\n")
    (folder / "claims.csv").write_text(
        "claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note\n")
    return folder


def _write_part(folder: Path, rng: np.random.Generator, spells: pd.DataFrame, precision: str, header: bool) -> None:
    """Append the people and evidence of some spells to people.csv and evidence.csv (writing them anew with `header`)."""
    person_id = np.char.add("p-", np.char.zfill(spells["person"].to_numpy().astype(str), 7))
    company_id = np.char.add("co-", np.char.zfill((spells["company"].to_numpy() + 1).astype(str), 4))
    spells = spells.assign(person_id=person_id, company_id=company_id)
    starts = spells.assign(event=np.where(spells["spell"] == 1, "join", "return"), day=spells["start"])
    ends = spells[spells["end"].notna()].assign(event=lambda s: s["end_event"], day=lambda s: s["end"])
    events = pd.concat([starts, ends], ignore_index=True)
    evidence = _evidence(rng, events, precision)
    first = spells[spells["spell"] == 1]
    people = pd.DataFrame({"person_id": first["person_id"], "name": first["person_id"], "company": first["company_id"],
                           "cohort": first["cohort"], "prior_affiliations": "", "role": "", "note": ""})
    table = pd.DataFrame({
        "person_id": evidence["person_id"], "company": evidence["company_id"], "spell": evidence["spell"],
        "event": evidence["event"], "earliest": evidence["earliest"], "latest": evidence["latest"],
        "source_id": np.char.add("src-", np.char.zfill(evidence["source"].to_numpy().astype(str), 2)),
        "paraphrase": "generated", "note": "",
    }).drop_duplicates(["person_id", "company", "spell", "event", "source_id"])
    write = dict(index=False, lineterminator="\n", date_format="%Y-%m-%d", header=header, mode="w" if header else "a")
    people.to_csv(folder / "people.csv", **write)
    table.to_csv(folder / "evidence.csv", **write)


DEPARTMENTS = ("engineering", "research", "sales", "operations")
REASONS = ("resigned", "retired", "dismissed")


def write_hr_export(path: Path, n_rows: int, n_companies: int = 1, seed: int = 0,
                    register_from: str | None = None) -> Path:
    """Write a flat HR export (one row per person spell) as an HR system would: day/month/year dates,
    an empty `left` while still there, and for some of those a `last_seen` date before the export date.
    Each spell has its own department (people move between them), and about 2% of leavers come back.

    `register_from` (ISO date) makes it a register that began on that day (late entry): spells that
    ended before it are left out, as the register never saw them, and column `on_register` gives the
    day each row's observation began."""
    rng = np.random.default_rng(seed)
    spells = _spells(rng, n_rows, n_companies)
    if register_from is not None:
        begun = np.datetime64(register_from)
        spells = spells[spells["end"].isna() | (spells["end"] >= begun)].reset_index(drop=True)
    still = spells["end"].isna().to_numpy()
    last_seen = np.where(still & (rng.random(len(spells)) < 0.2),
                         FREEZE - rng.integers(0, 365, len(spells)), np.datetime64("NaT")).astype("datetime64[D]")
    last_seen = np.maximum(last_seen, spells["start"].to_numpy().astype("datetime64[D]"))
    as_text = lambda days: pd.Series(pd.to_datetime(days)).dt.strftime("%d/%m/%Y").fillna("").to_numpy()
    export = pd.DataFrame({
        "employee_id": np.char.add("E", np.char.zfill(spells["person"].to_numpy().astype(str), 7)),
        "full_name": np.char.add("Employee ", spells["person"].to_numpy().astype(str)),
        "company": np.char.add("Company ", np.char.zfill((spells["company"].to_numpy() + 1).astype(str), 4)),
        "department": np.asarray(DEPARTMENTS)[rng.integers(0, len(DEPARTMENTS), len(spells))],
        "hired": as_text(spells["start"].to_numpy()),
        "left": as_text(spells["end"].to_numpy()),
        "reason": np.where(still, "", np.asarray(REASONS)[rng.integers(0, len(REASONS), len(spells))]),
        "last_seen": as_text(last_seen),
    })
    if register_from is not None:
        export["on_register"] = pd.Timestamp(register_from).strftime("%d/%m/%Y")
    path.parent.mkdir(parents=True, exist_ok=True)
    export.to_csv(path, index=False, lineterminator="\n")
    return path


HR_MAPPING = f"""[roster]
person_column = "employee_id"
name_column = "full_name"
company_column = "company"
group_column = "department"
reason_column = "reason"
start_column = "hired"
end_column = "left"
observed_until_column = "last_seen"
date_format = "%d/%m/%Y"
precision = "day"
observed_until = "{FREEZE}"
source_title = "Synthetic HR export"
"""
"""The mapping for write_hr_export's files."""
REGISTER_MAPPING = HR_MAPPING + '''observed_from_column = "on_register"
title = "Synthetic register"

[roster.reasons]
resigned = "voluntary"
retired = "retired"
dismissed = "dismissed"
'''
"""The mapping for write_hr_export's files with `register_from`: late entry per row, and reasons sorted."""
