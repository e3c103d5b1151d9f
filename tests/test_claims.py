"""Verdict rules on synthetic cases, claims.csv checks, and the ledger and check commands."""

from __future__ import annotations

import json

import pytest
from conftest import write_dataset

from attrition import DataError, load
from attrition.claims.file import claim_problems, parse_params
from attrition.claims.ledger import evaluate, verdict
from attrition.cli import main

CLAIMS = """claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note
half-gone,s3,Half the founders have left,2022-06-01,departed_share,company=acme; cohort=founder,0.5,exact,,
half-gone-of-three,s3,Half of the founders other than Alice have left,2022-06-01,departed_share,company=acme; cohort=founder; exclude=alice,0.5,exact,,denominator without alice
straddle,s3,Three founders have left,2023-03-15,departed_count,company=acme; cohort=founder,3,exact,,carol's month is uncertain
at-least-two,s3,At least two founders have left,2023-03-15,departed_count,company=acme; cohort=founder,2,at_least,,
carol-left-in-may,s3,Carol left on 31 May 2023,2025-12-31,event_date,company=acme; person=carol; event=leave,2023-05-31,exact,1,
hours,s3,Eighty hours a week is 11.5 a day,2025-12-31,weekly_hours_per_day,hours=80,11.5,about,0.1,
valuation,s3,The company is worth a lot,2025-12-31,,,,not_evaluated,,valuations are not in the data
"""


@pytest.mark.parametrize(
    "lo, hi, reported, reading, tolerance, expected",
    [
        (0.5, 0.5, 0.5, "exact", None, "supported"),
        (6 / 11, 6 / 11, 0.5, "exact", None, "contradicted"),
        (0.5, 0.75, 0.5, "exact", None, "uncertain"),  # a range that straddles the reported value
        (0.45, 0.55, 0.5, "about", 0.05, "supported"),
        (0.40, 0.55, 0.5, "about", 0.05, "uncertain"),
        (0.60, 0.70, 0.5, "about", 0.05, "contradicted"),
        (5, 6, 5, "at_least", None, "supported"),
        (4, 6, 5, "at_least", None, "uncertain"),
        (3, 4, 5, "at_least", None, "contradicted"),
        (2.83, 2.83, 2, "more_than", None, "supported"),
        (2, 2, 2, "more_than", None, "contradicted"),  # "more than double" is false at exactly double
        (1, 3, 2, "more_than", None, "uncertain"),
        (2.59, 2.59, 2.5, "less_than", None, "contradicted"),
        (2.4, 2.4, 2.5, "less_than", None, "supported"),
        (944, None, 900, "at_least", None, "supported"),  # None: unbounded above
        ("2026-02-09", "2026-02-09", "2026-02-10", "exact", 1, "supported"),
        ("2026-02-09", "2026-02-09", "2026-02-10", "exact", None, "contradicted"),
        (0.5, 0.5, 0.5, "not_evaluated", None, "not_evaluated"),
    ],
)
def test_verdict_rules(lo, hi, reported, reading, tolerance, expected) -> None:
    assert verdict(lo, hi, reported, reading, tolerance) == expected


def test_params_parse_lists_and_numbers() -> None:
    assert parse_params("company=xai; exclude=a|b; days=730") == {"company": "xai", "exclude": ["a", "b"], "days": "730"}
    with pytest.raises(ValueError, match="not key=value"):
        parse_params("company")


@pytest.fixture
def claims_ds(tmp_path):
    folder = write_dataset(tmp_path / "data")
    (folder / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    return load(folder)


def test_ledger_verdicts_by_hand(claims_ds) -> None:
    ledger = evaluate(claims_ds).set_index("claim_id")
    # as of 2022-06-01: alice (2021) and bob (March 2022) gone of four -> exactly half
    assert ledger.loc["half-gone", "verdict"] == "supported"
    assert ledger.loc["half-gone-of-three", "verdict"] == "contradicted"  # 1 of 3
    assert ledger.loc["straddle", "verdict"] == "uncertain"  # 2 or 3: carol left in Feb or May 2023
    assert ledger.loc["at-least-two", "verdict"] == "supported"
    assert ledger.loc["carol-left-in-may", "verdict"] == "uncertain"  # sources say Feb or May
    assert ledger.loc["hours", "verdict"] == "supported"
    assert ledger.loc["valuation", "verdict"] == "not_evaluated"
    assert ledger.loc["straddle", "measured"] == "2 to 3 founders departed as of 2023-03-15 (of 4 counted)"


BAD = {
    "unknown metric": ("half-gone,s3,x,2022-06-01,depart_share,company=acme,0.5,exact,,", "metric", "unknown metric"),
    "bad params": ("half-gone,s3,x,2022-06-01,departed_share,company acme,0.5,exact,,", "params", "not key=value"),
    "unknown param": ("half-gone,s3,x,2022-06-01,departed_share,company=acme; colour=red,0.5,exact,,", "params",
                      "takes no parameter 'colour'; it takes: 'company', 'cohort', 'as_of', 'exclude'"),
    "missing param": ("half-gone,s3,x,2022-06-01,departures_between,company=acme,3,exact,,", "params",
                      "needs parameter 'start'"),
    "bad reported": ("half-gone,s3,x,2022-06-01,departed_share,company=acme,half,exact,,", "reported", "must be a number"),
    "about without tolerance": ("half-gone,s3,x,2022-06-01,departed_share,company=acme,0.5,about,,", "tolerance",
                                "needs a tolerance"),
    "unknown source": ("half-gone,s9,x,2022-06-01,departed_share,company=acme,0.5,exact,,", "source_id",
                       "unknown source_id"),
    "bad reading": ("half-gone,s3,x,2022-06-01,departed_share,company=acme,0.5,roughly,,", "reading", "must be one of"),
    "not evaluated without a reason": ("half-gone,s3,x,2022-06-01,,,,not_evaluated,,", "note", "needs a note"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_claims_are_located(tmp_path, capsys, case) -> None:
    line, column, words = BAD[case]
    folder = write_dataset(tmp_path / "data")
    (folder / "claims.csv").write_text(CLAIMS.splitlines()[0] + "\n" + line + "\n", encoding="utf-8")
    try:
        problems = claim_problems(load(folder))  # checks that need the metric registry
    except DataError as caught:  # checks every table gets when it is read
        problems = caught.problems
    assert any(p.file == "claims.csv" and p.line == 2 and p.column == column and words in str(p)
               for p in problems), problems
    for command in ("claims", "validate", "report"):
        assert main([command, "--data", str(folder), *(["--no-execute"] if command == "report" else [])]) == 2
        assert "claims.csv:2" in capsys.readouterr().err


def test_claims_command_formats(claims_ds, capsys) -> None:
    folder = str(claims_ds.data_dir)
    assert main(["claims", "--data", folder, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("claim_id,publisher,published,as_of,claim") and len(lines) == 8
    assert main(["claims", "--data", folder, "--format", "json", "--claim", "straddle"]) == 0
    assert [r["verdict"] for r in json.loads(capsys.readouterr().out)] == ["uncertain"]
    assert main(["claims", "--data", folder]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "3 supported, 1 contradicted, 2 uncertain, 1 not_evaluated"


def test_check_command_answers_and_says_why(data_dir, capsys) -> None:
    args = ["check", "departed_share", "--data", str(data_dir), "--company", "acme", "--cohort", "founder",
            "--as-of", "2023-03-15", "--reported", "0.5", "--reading", "exact"]
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("uncertain: the claim reads exactly 0.5; the data says 2 to 3 of 4")
    assert main([*args[:-2], "--reading", "about"]) == 2
    assert "--reading about needs --tolerance" in capsys.readouterr().err


# --- shipped ledger ------------------------------------------------------------------------------------

def test_shipped_check_from_the_issue(capsys) -> None:
    assert main(["check", "departed_share", "--company", "xai", "--cohort", "founder", "--as-of", "2026-02-11",
                 "--reported", "0.5", "--reading", "exact"]) == 0
    assert capsys.readouterr().out.startswith("supported: the claim reads exactly 0.5; the data says 6 of 12")
