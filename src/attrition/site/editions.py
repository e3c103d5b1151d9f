"""What a dataset edition changed on the pages: the previous edition rebuilt from the corrections log, and
every published number and verdict that moved between the two.

corrections.csv logs each change to the facts with the interval before and after. Undoing this edition's
changes (a source added is taken out, a narrowed or widened date goes back to its earlier range, a
founding-team definition to its earlier value) gives the data as the previous edition stood; checking the
same claims on both (the press claims of the ledger, and the claims behind every finding the pages state)
shows which number or verdict each edition moved, from what to what.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from attrition.claims.file import parse_params
from attrition.claims.ledger import check, evaluate
from attrition.io.dataset import Dataset, load
from attrition.result import MetricError
from attrition.schema import DataError

UNDONE = {"added", "source_added", "narrowed", "widened", "team_changed"}
"""The changes the previous edition is rebuilt without; the others leave every date as it was."""
WORDS = {
    "added": ("a new dated source", "a source was found that dates it"),
    "source_added": ("a new dated source", "a source was found that dates it"),
    "narrowed": ("the date narrowed", "a source gives it more precisely"),
    "widened": ("the date widened", "the earlier range was narrower than the source allows (its time zone or precision)"),
    "removed": ("a dated source dropped", "it did not meet the rules for dates"),
    "source_replaced": ("a source replaced", "a better copy or the original was found"),
    "paraphrase_fixed": ("a summary reworded", "the summary of what the source says was corrected; the date stands"),
    "confirmed_unverifiable": ("re-checked", "the source was read again; nothing more precise could be found"),
    "team_changed": ("founding-team definitions", "sources on who counts as a founder were re-read"),
}
"""Each kind of change in plain words: what happened, and why a change of that kind is made."""


@dataclass(frozen=True)
class Moved:
    """One published number or verdict that an edition moved."""

    page: str
    what: str
    before: str
    after: str
    company: str
    person: str


INTERVAL = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
"""How corrections.csv writes an interval; its before and after may also hold a team variant or a paraphrase."""


def _interval(text: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    found = INTERVAL.fullmatch(str(text).strip())
    return (pd.Timestamp(found[1]), pd.Timestamp(found[2])) if found else None


def previous_edition(ds: Dataset, folder: Path) -> Path:
    """Write the dataset as it stood before its current edition's changes into `folder` (a copy of every file,
    the evidence and people rows the log says changed put back)."""
    shutil.copytree(ds.data_dir, folder, ignore=shutil.ignore_patterns("examples", "aiwatch"))
    log = ds.frame("corrections").fillna("")
    log = log[(log["edition"].astype(str).str[:10] == ds.freeze_date.isoformat()) & log["change"].isin(UNDONE)]
    evidence = pd.read_csv(folder / "evidence.csv", dtype=str, keep_default_na=False)
    people = pd.read_csv(folder / "people.csv", dtype=str, keep_default_na=False)
    for row in log.iloc[::-1].itertuples():  # undo the last change first
        if row.change == "team_changed":
            people.loc[(people["person_id"] == row.person_id) & (people["company"] == row.company), "team_variants"] = row.before
            continue
        after = _interval(row.after)
        if after is None:
            continue
        chosen = ((evidence["person_id"] == row.person_id) & (evidence["company"] == row.company)
                  & (evidence["spell"] == str(row.spell)) & (evidence["event"] == row.event)
                  & evidence["source_id"].isin(str(row.source_ids).split(";"))
                  & (pd.to_datetime(evidence["earliest"]) >= after[0]) & (pd.to_datetime(evidence["latest"]) <= after[1]))
        before = _interval(row.before)
        if row.change in ("narrowed", "widened") and before is not None:
            evidence.loc[chosen, ["earliest", "latest"]] = [f"{before[0]:%Y-%m-%d}", f"{before[1]:%Y-%m-%d}"]
        else:
            evidence = evidence[~chosen]
    # People whose every join this edition added were not in the previous edition; nor were moves after
    # departures it added.
    joined = set(zip(*evidence.loc[evidence["event"] == "join", ["person_id", "company"]].to_numpy().T))
    people = people[[(p, c) in joined for p, c in zip(people["person_id"], people["company"])]]
    ended = evidence[evidence["event"].isin(["leave", "step_back"])]
    ends = set(zip(ended["person_id"], ended["company"], ended["spell"]))
    if (folder / "moves.csv").exists():
        moves = pd.read_csv(folder / "moves.csv", dtype=str, keep_default_na=False)
        moves = moves[[(p, c, s) in ends for p, c, s in zip(moves["person_id"], moves["company"], moves["spell"])]]
        moves.to_csv(folder / "moves.csv", index=False, lineterminator="\n")
    kept = set(zip(people["person_id"], people["company"]))
    evidence = evidence[[(p, c) in kept for p, c in zip(evidence["person_id"], evidence["company"])]]
    evidence.to_csv(folder / "evidence.csv", index=False, lineterminator="\n")
    people.to_csv(folder / "people.csv", index=False, lineterminator="\n")
    return folder


def _subject(params: dict) -> tuple[str, str]:
    return str(params.get("company", "")), str(params.get("person", ""))


@dataclass(frozen=True)
class Edition:
    """A citable freeze of the dataset: its date, what it holds, and what changed against the previous edition
    (None where that edition could not be rebuilt from the log)."""

    date: str
    counts: dict[str, int]
    changes: dict[str, int] | None
    flipped: tuple[tuple[str, str, str], ...] | None
    """(claim id, verdict in the previous edition, verdict now) for every claim whose verdict the edition moved."""

    def to_dict(self) -> dict:
        return {"edition": self.date, "cite": f"attrition dataset, edition {self.date}", "counts": self.counts,
                "against_previous_edition": None if self.changes is None else
                {**self.changes, "verdicts_flipped": [{"claim_id": c, "before": b, "after": a}
                                                      for c, b, a in self.flipped or ()]}}


COUNTED = {"sources": "sources", "people": "people", "evidence": "dated statements", "milestones": "milestones",
           "counts": "reported counts", "claims": "claims", "base_rates": "base rates"}
"""The tables an edition's counts cover, with the words a reader sees."""


def counts(ds: Dataset) -> dict[str, int]:
    """How much an edition holds: rows of each table in COUNTED, and companies."""
    return {**{table: ds.count(table) for table in COUNTED}, "companies": len(ds.companies)}


def fact_changes(before: Dataset, after: Dataset) -> dict[str, int]:
    """Dated statements (evidence rows, keyed by person, company, spell, event and source) added, removed, narrowed
    and widened from one edition to the next, and people added, by one merge of the two tables."""
    key = ["person_id", "company", "spell", "event", "source_id"]
    both = before.evidence[[*key, "earliest", "latest"]].merge(
        after.evidence[[*key, "earliest", "latest"]], on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
    kept = both[both["_merge"] == "both"]
    old_width, new_width = kept["latest_old"] - kept["earliest_old"], kept["latest_new"] - kept["earliest_new"]
    return {"statements_added": int((both["_merge"] == "right_only").sum()),
            "statements_removed": int((both["_merge"] == "left_only").sum()),
            "intervals_narrowed": int((new_width < old_width).sum()), "intervals_widened": int((new_width > old_width).sum()),
            "people_added": after.count("people") - before.count("people")}


def compare(ds: Dataset, findings: list, ledger: pd.DataFrame) -> tuple[Edition, list[Moved] | None]:
    """This edition (its counts, and what changed against the previous edition), and every ledger verdict and every
    number behind a page's finding that differs between the previous edition and this one; the changes and the
    moved list are None when the previous edition cannot be rebuilt (the log does not describe it fully)."""
    with tempfile.TemporaryDirectory() as work:
        try:
            before = load(previous_edition(ds, Path(work) / "data"))
        except (DataError, OSError, ValueError):
            return Edition(ds.freeze_date.isoformat(), counts(ds), None, None), None
        out: list[Moved] = []
        flipped = []
        earlier = evaluate(before).set_index("claim_id")
        for row in ledger.itertuples():
            if row.claim_id not in earlier.index:
                continue
            old = earlier.loc[row.claim_id]
            if old["verdict"] != row.verdict:
                flipped.append((row.claim_id, old["verdict"], row.verdict))
            if (old["verdict"], old["measured"]) != (row.verdict, row.measured):
                company, person = _subject(parse_params(row.params or ""))
                out.append(Moved("04_claims_ledger.html", f"The claim \u201c{row.claim}\u201d ({row.publisher})",
                                 f"{old['verdict'].replace('_', ' ')}: {old['measured']}",
                                 f"{row.verdict.replace('_', ' ')}: {row.measured}", company, person))
        for row in findings:
            params = parse_params(row.params)
            if row.dataset:
                continue
            try:
                reading, reported = row.reading.split(" ", 1)
                old = check(before, row.metric, params, reported, reading, row.tolerance, params.get("as_of"))["measured"]
            except (MetricError, ValueError, KeyError):
                old = "not computable on the previous edition"
            if old != row.measured:
                company, person = _subject(params)
                out.append(Moved(row.page, f"\u201c{row.sentence}\u201d", old, row.measured, company, person))
        edition = Edition(ds.freeze_date.isoformat(), counts(ds), fact_changes(before, ds), tuple(flipped))
        return edition, list(dict.fromkeys(out))
