"""Every change corrections.csv logs holds in the data, and shows in the dates the pages print."""

from __future__ import annotations

import re

import pandas as pd

from attrition import events, load

INTERVAL = re.compile(r"^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$")
CHANGES_AN_INTERVAL = ("narrowed", "widened", "added", "source_added", "confirmed_unverifiable")


def _latest_rows(corrections: pd.DataFrame) -> pd.DataFrame:
    """Each (event, sources) once, as its last logged change left it: a later row supersedes an earlier one."""
    key = ["person_id", "company", "spell", "event", "source_ids"]
    return corrections.drop_duplicates(key, keep="last")


def test_every_logged_interval_is_in_the_evidence_and_every_removal_is_gone() -> None:
    ds = load()
    corrections = ds.frame("corrections").fillna("").astype(str)
    evidence = ds.evidence.assign(spell=ds.evidence["spell"].astype(str),
                                  interval=ds.evidence["earliest"].dt.strftime("%Y-%m-%d") + ".."
                                  + ds.evidence["latest"].dt.strftime("%Y-%m-%d"))
    wrong = []
    for row in _latest_rows(corrections).itertuples():
        rows = evidence[(evidence["person_id"] == row.person_id) & (evidence["company"] == row.company)
                        & (evidence["spell"] == row.spell) & (evidence["event"] == row.event)
                        & evidence["source_id"].isin(row.source_ids.split(";"))]
        if row.change == "removed":
            if row.before in set(rows["interval"]):
                wrong.append((row.Index, "still in the evidence", row.before))
        elif row.change in CHANGES_AN_INTERVAL and INTERVAL.match(row.after):
            hull = (f"{rows['earliest'].min():%Y-%m-%d}..{rows['latest'].max():%Y-%m-%d}" if len(rows) else "")
            if row.after not in set(rows["interval"]) and row.after != hull:
                wrong.append((row.Index, row.after, sorted(rows["interval"])))
        elif row.change == "paraphrase_fixed" and not INTERVAL.match(row.after):
            if row.after not in set(rows["paraphrase"]):
                wrong.append((row.Index, "paraphrase", row.after))
        elif row.change == "team_changed":
            people = ds.people[(ds.people["person_id"] == row.person_id) & (ds.people["company"] == row.company)]
            if list(people["team_variants"].fillna("")) != [row.after]:
                wrong.append((row.Index, "team", row.after))
    assert wrong == []


def test_a_logged_change_of_a_best_graded_source_shows_in_the_resolved_date() -> None:
    """Where a logged change is to one of the event's best-graded sources, the date every page prints (the
    resolved interval) lies inside the logged one, or, where sources disagree, spans it: a lower-graded
    source can neither undo the change nor narrow the date below what the best sources allow."""
    ds = load()
    corrections = ds.frame("corrections").fillna("").astype(str)
    grades = ds.sources.set_index("source_id")["grade"].fillna("C").replace("", "C")
    evidence = ds.evidence.assign(grade=ds.evidence["source_id"].map(grades))
    resolved = events(ds).set_index(["person_id", "company", "spell", "event"])
    checked, wrong = 0, []
    for row in _latest_rows(corrections).itertuples():
        if row.change not in ("narrowed", "widened", "added", "source_added") or not INTERVAL.match(row.after):
            continue
        key = (row.person_id, row.company, int(row.spell), row.event)
        if key not in resolved.index:
            continue
        rows = evidence[(evidence["person_id"] == key[0]) & (evidence["company"] == key[1])
                        & (evidence["spell"] == key[2]) & (evidence["event"] == key[3])]
        best = rows[rows["grade"] == rows["grade"].min()]
        if not set(row.source_ids.split(";")) & set(best["source_id"]):
            continue
        low, high = (pd.Timestamp(d) for d in row.after.split(".."))
        event = resolved.loc[key]
        inside = low <= event["earliest"] and event["latest"] <= high
        spans = event["earliest"] <= low and high <= event["latest"]
        checked += 1
        if not (spans if event["conflict"] else inside):
            wrong.append((key, row.after, f"{event['earliest']:%Y-%m-%d}..{event['latest']:%Y-%m-%d}", event["conflict"]))
    assert checked > 20 and wrong == []


def test_every_agreed_date_is_what_its_best_graded_sources_allow_and_no_lower_grade_narrows_it() -> None:
    """SOURCE_RULE on the shipped data: where no source disagrees, an event's date is exactly the part its
    best-graded sources all allow, however a lower-graded source narrows it (a blog's 'mid-March' inside a
    first-tier outlet's March)."""
    ds = load()
    grades = ds.sources.set_index("source_id")["grade"].fillna("C").replace("", "C")
    evidence = ds.evidence[ds.evidence["event"] != "observed"]
    evidence = evidence.assign(grade=evidence["source_id"].map(grades))
    key = ["person_id", "company", "spell", "event"]
    best = evidence[evidence["grade"] == evidence.groupby(key)["grade"].transform("min")]
    allowed = best.groupby(key).agg(lo=("earliest", "max"), hi=("latest", "min"))
    resolved = events(ds).set_index(key)
    agreed = resolved[~resolved["conflict"]].join(allowed)
    assert len(agreed) > 80
    assert agreed[(agreed["earliest"] != agreed["lo"]) | (agreed["latest"] != agreed["hi"])].empty
