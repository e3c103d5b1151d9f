"""Nothing silently wrong: counts that disagree are shown, one end-of-observation rule for every measure, and
claims that cannot be checked are located errors in `validate` (each test failed before issue 25)."""

from __future__ import annotations

import json

import pytest
from conftest import FILES, write_dataset

from attrition import load
from attrition.cli import main
from attrition.measures.registry import compute

CLAIMS_HEADER = "claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note\n"


def _with_claims(folder, *rows: str):
    (folder / "claims.csv").write_text(CLAIMS_HEADER + "".join(rows), encoding="utf-8")
    return folder


RATE_CLAIM = "c1,s2,Acme hired one person every 73 days in 2021,2021-12-31,days_per_hire,company=acme; start=2021-01-01; " \
             "end=2021-12-31; basis=reported{extra},73,about,1,\n"
SECOND_COUNT = "acme-hires-2021-b,acme,hires,2021-01-01,2021-12-31,9,exact,all hires,s3\n"


def test_two_counts_for_one_window_are_a_conflict_shown_and_uncertain(tmp_path, capsys) -> None:
    """365 days / 5 hires = 73 days per hire (supported); with a second count of 9 it is 41: the verdict
    used to follow whichever count came first by id; now both are shown and the claim is uncertain."""
    folder = _with_claims(write_dataset(tmp_path / "data", reported_counts_csv=FILES["reported_counts.csv"]
                                        + SECOND_COUNT), RATE_CLAIM.format(extra=""))
    assert main(["claims", "--data", str(folder), "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["verdict"] == "uncertain"
    assert "reported counts that disagree: at least 5 (Daily, acme-hires-2021); 9 (Weekly, acme-hires-2021-b)" \
        in row["measured"]
    result = compute("hires_between", load(folder), company="acme", start="2021-01-01", end="2021-12-31",
                     basis="reported")
    assert (result.lo, result.hi, result.details["conflict"]) == (5, 9, True)


def test_a_claim_that_names_its_count_is_checked_against_that_count(tmp_path, capsys) -> None:
    folder = _with_claims(write_dataset(tmp_path / "data", reported_counts_csv=FILES["reported_counts.csv"]
                                        + SECOND_COUNT),
                          RATE_CLAIM.format(extra="; count_id=acme-hires-2021"),
                          RATE_CLAIM.replace("c1,", "c2,").format(extra="; count_id=acme-hires-2021-b"))
    assert main(["claims", "--data", str(folder), "--format", "json"]) == 0
    assert [r["verdict"] for r in json.loads(capsys.readouterr().out)] == ["supported", "contradicted"]


def test_a_window_past_the_claims_own_date_is_refused(tmp_path, capsys) -> None:
    folder = _with_claims(write_dataset(tmp_path / "data"),
                          "c1,s2,Five people joined,2021-06-30,hires_between,company=acme; start=2021-01-01; "
                          "end=2021-12-31,5,exact,,\n")
    assert main(["validate", "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "claims.csv:2: column 'params'" in err and "end=2021-12-31 is after the claim's own date 2021-06-30" in err


@pytest.mark.parametrize("params, words", [
    ("company=acme; start=2021-02-01; end=2021-12-31; basis=reported", "no reported count of hires"),
    ("company=acme; person=erin; event=leave", "no leave of 'erin'"),
    ("company=acme; person=erin", "had not left acme"),
], ids=["a window no count covers", "an event that never happened", "a rank of someone still there"])
def test_a_claim_its_metric_cannot_check_is_located_by_validate_and_claims(tmp_path, capsys, params, words) -> None:
    metric = {"basis": "days_per_hire", "event": "event_date"}.get(next((k for k in ("basis", "event") if k in params),
                                                                        ""), "departure_rank")
    reported = "2021-06-01" if metric == "event_date" else "5"
    folder = _with_claims(write_dataset(tmp_path / "data"),
                          f"c1,s2,A fine claim,2021-12-31,departed_count,company=acme,1,exact,,\n"
                          f"c2,s2,A claim,2021-12-31,{metric},{params},{reported},exact,,\n")
    for command in ("validate", "claims"):
        assert main([command, "--data", str(folder)]) == 2
        err = capsys.readouterr().err
        assert f"error: claims.csv:3: column 'params': value '{params}': cannot be checked: " in err and words in err, err


CLOSED = "2022-06-30"
"""The synthetic company's end of observation in the tests below: alice (2021), bob (March 2022) and frank
(June 2022) left before it; carol (2023), dan (2024) and frank's second spell come after it."""


@pytest.fixture
def closed(tmp_path):
    folder = write_dataset(tmp_path / "closed")
    (folder / "companies.csv").write_text(f"company,name,observed_until,team_variants,aliases,note\n"
                                          f"acme,Acme,{CLOSED},,,closed\n")
    return load(folder), load(write_dataset(tmp_path / "open"))


def _values(result) -> tuple:
    return result.lo, result.hi, result.numerator, result.denominator, result.person_ids


@pytest.mark.parametrize("name, params", [
    ("departed_count", {"cohort": "founder"}), ("departed_share", {"cohort": "founder"}),
    ("remaining_count", {}), ("headcount", {}), ("departure_rank", {"person": "alice"}),
    ("median_tenure", {"cohort": "founder"}), ("share_departed_by_tenure", {"days": "800"}),
])
def test_the_end_of_observation_applies_to_every_measure(closed, name, params) -> None:
    """One rule: as of the freeze date, a company observed until day U counts as it did on U, for counts,
    shares, ranks and survival curves alike (counts used to ignore it: 4 of 4 founders gone vs 2 of 4)."""
    closed_ds, open_ds = closed
    after = compute(name, closed_ds, company="acme", **params)
    on_the_day = compute(name, open_ds, company="acme", as_of=CLOSED, **params)
    assert _values(after) == _values(on_the_day)


def test_the_end_of_observation_applies_to_windows_and_headcounts(closed) -> None:
    from attrition.core.roster import headcount

    closed_ds, open_ds = closed
    window = {"company": "acme", "start": "2021-01-01", "end": "2025-12-31"}
    assert _values(compute("departures_between", closed_ds, **window)) == \
        _values(compute("departures_between", open_ds, **{**window, "end": CLOSED}))
    assert compute("departures_between", closed_ds, **window).person_ids["departed"] == ["alice", "bob", "frank"]
    months = headcount(closed_ds, "acme")
    assert str(months["date"].max().date()) == "2022-06-01"
    assert months.equals(headcount(open_ds, "acme", end=CLOSED))
