"""The shipped data keeps the promises data/README.md makes about it, checked on every run."""

from __future__ import annotations

import pytest

from attrition import load
from attrition.core import roster


@pytest.fixture(scope="module")
def shipped():
    return load()


def test_everyone_still_there_has_a_dated_sighting(shipped) -> None:
    people = roster.lasting(shipped)
    active = people[people["status"].isin(["active", "unseen"])]
    seen = shipped.evidence[shipped.evidence["event"] == "observed"]
    keys = set(zip(seen["person_id"], seen["company"]))
    missing = [f"{p}@{c}" for p, c in zip(active["person_id"], active["company"]) if (p, c) not in keys]
    assert len(active) > 0 and missing == []


def test_every_source_is_graded_with_a_reason(shipped) -> None:
    sources = shipped.sources
    assert set(sources["grade"]) <= {"A", "B", "C"} and (sources["grade"] != "").all()
    assert (sources["grade_reason"].str.len() > 0).all()


def test_every_departed_founder_has_a_destination_row(shipped) -> None:
    people = roster.lasting(shipped)
    gone = people[people["status"].isin(["departed", "uncertain"]) & (people["cohort"] == "founder")]
    moves = shipped.frame("moves")
    keys = set(zip(moves["person_id"], moves["company"]))
    assert [p for p, c in zip(gone["person_id"], gone["company"]) if (p, c) not in keys] == []


def test_every_correction_names_what_changed_and_why(shipped) -> None:
    corrections = shipped.frame("corrections")
    assert len(corrections) > 0
    assert (corrections["reason"].str.len() > 0).all()
    people = set(zip(shipped.people["person_id"], shipped.people["company"]))
    named = corrections[corrections["person_id"] != ""]
    assert all((p, c) in people for p, c in zip(named["person_id"], named["company"]))


def test_companies_have_display_names(shipped) -> None:
    assert shipped.company_names["ssi"] == "Safe Superintelligence"
    assert all(name for name in shipped.company_names.values())
