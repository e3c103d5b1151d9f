"""The data as it was known on a day, and the two verdicts every claim gets: on what was published by the day it
was written, and on everything known now.

A small roster with known answers: founders Ann and Ben are named at the launch (2020-01-01); Ben's departure in
May 2021 is reported on 2021-06-01; only a report of 2022-06-01 names a third founder, Cy, who was there from the
start. An undated source says Ann was still there in 2021.
"""

from __future__ import annotations

import json

import pytest
from conftest import write_dataset

from attrition import load
from attrition.claims.flips import flips
from attrition.claims.ledger import checked, label
from attrition.cli import main
from attrition.measures import metrics

SOURCES = """source_id,publisher,title,url,published,language,note
launch,Acme Blog,Launch,https://example.org/launch,2020-01-01,en,
ben-leaves,Daily,Ben leaves,,2021-06-01,en,
third-founder,Weekly,The forgotten founder,,2022-06-01,en,
undated,Wiki,Team page,,,en,undated copy
"""
PEOPLE = """person_id,name,company,cohort,prior_affiliations,role,note
ann,Ann A,acme,founder,,CEO,
ben,Ben B,acme,founder,,CTO,
cy,Cy C,acme,founder,,Research,
"""
EVIDENCE = """person_id,company,spell,event,earliest,latest,source_id,paraphrase,note
ann,acme,1,join,2020-01-01,2020-01-01,launch,on the launch team,
ben,acme,1,join,2020-01-01,2020-01-01,launch,on the launch team,
ben,acme,1,leave,2021-05-01,2021-05-01,ben-leaves,left in May,
cy,acme,1,join,2020-01-01,2020-01-01,third-founder,a founder from the start,
ann,acme,1,observed,2021-09-01,2021-09-01,undated,still listed,
"""
CLAIMS = """claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note
half,ben-leaves,Half the founders have left,2021-06-01,departed_share,company=acme; cohort=founder,0.5,exact,,
a-third,ben-leaves,A third of the founders have left,2021-06-01,departed_share,company=acme; cohort=founder,0.3333,about,0.001,
one-gone,ben-leaves,One founder has left,2021-06-01,departed_count,company=acme; cohort=founder,1,exact,,
unclear,ben-leaves,The team is happy,2021-06-01,,,,not_evaluated,,moods are not in the data
cy-joined,ben-leaves,Cy joined at the launch,2021-06-01,event_date,company=acme; person=cy; event=join,2020-01-01,exact,,
"""
EMPTY = {"milestones_csv": "company,milestone_id,label,earliest,latest,source_id,note\n",
         "reported_counts_csv": "count_id,company,measure,start,end,value,qualifier,scope_note,source_id\n"}


@pytest.fixture
def folder(tmp_path):
    data = write_dataset(tmp_path / "data", sources_csv=SOURCES, people_csv=PEOPLE, evidence_csv=EVIDENCE, **EMPTY)
    (data / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    return data


def test_the_data_as_known_on_a_day_leaves_out_later_and_undated_sources(folder) -> None:
    ds = load(folder)
    then = load(folder, known_as_of="2021-06-01")
    assert ds.as_known_on("2021-06-01") is ds.as_known_on("2021-06-01"), "one vintage per day"
    assert then.freeze_date.isoformat() == "2021-06-01" and then.known_as_of.isoformat() == "2021-06-01"
    assert then.left_out == {"sources_undated": 1, "sources_later": 1, "sources_used": 2, "evidence_rows": 5,
                             "evidence_rows_used": 3, "people": 3, "people_known": 2}
    assert sorted(then.people["person_id"]) == ["ann", "ben"], "Cy is named only by a later source"
    assert metrics.departed_share(then, "acme", "founder").text == "1 of 2 founders departed (50.0%) as of 2021-06-01"
    assert metrics.departed_share(ds, "acme", "founder", as_of="2021-06-01").text == \
        "1 of 3 founders departed (33.3%) as of 2021-06-01"
    assert ds.count("evidence") == 5, "the data itself is untouched"


def test_every_command_takes_known_as_of_and_the_number_changes(folder, capsys) -> None:
    ask = ["metric", "departed_share", "--data", str(folder), "--company", "acme", "--cohort", "founder",
           "--as-of", "2021-06-01"]
    assert main(ask) == 0
    assert capsys.readouterr().out == "1 of 3 founders departed (33.3%) as of 2021-06-01\n"
    assert main([*ask, "--known-as-of", "2021-06-01"]) == 0
    out = capsys.readouterr()
    assert out.out == "1 of 2 founders departed (50.0%) as of 2021-06-01\n"
    assert "1 without a publication date and 1 published later are left out" in out.err
    assert main([*ask, "--known-as-of", "2021-06-01", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["lo"] == 0.5 and answer["known_as_of"]["sources_undated"] == 1
    for command in (["validate"], ["build", "--out", str(folder.parent / "built")], ["claims"],
                    ["check", "departed_count", "--company", "acme", "--reported", "1", "--reading", "exact",
                     "--as-of", "2021-06-01"]):
        assert main([*command, "--data", str(folder), "--known-as-of", "2021-06-01"]) == 0, command
    capsys.readouterr()
    assert main(["metric", "departed_share", "--data", str(folder), "--company", "acme", "--known-as-of",
                 "2019-06-01"]) == 2
    assert "as known on 2019-06-01" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["metric", "departed_share", "--data", str(folder), "--company", "acme", "--known-as-of", "2021-02-30"])
    assert stopped.value.code == 2


@pytest.mark.parametrize("command", [["validate"], ["build"], ["metric", "x"], ["check", "x"], ["claims"], ["report"],
                                     ["import", "roster", "x"], ["import", "aiwatch", "x"]])
def test_every_command_accepts_known_as_of(command, capsys) -> None:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    assert "--known-as-of DATE" in capsys.readouterr().out


def test_an_import_as_known_before_its_export_was_made_is_refused(tmp_path, capsys) -> None:
    from attrition.locations import REPO_ROOT

    judges = REPO_ROOT / "data" / "examples" / "federal-judges"
    assert main(["import", "roster", str(judges / "judges.csv"), "--mapping", str(judges / "mapping.toml"), "--out",
                 str(tmp_path / "out"), "--known-as-of", "2010-01-01"]) == 2
    assert "the export is dated 2014-10-12" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_a_claim_fair_when_written_and_overtaken_and_one_the_reverse(folder, capsys) -> None:
    ledger = {row["claim_id"]: row for row in checked(load(folder))}
    half, third = ledger["half"], ledger["a-third"]
    assert (half["verdict_then"], half["verdict"], half["label"]) == \
        ("supported", "contradicted", "fair when written, overtaken")
    assert half["measured_then"] == "1 of 2 founders departed (50.0%) as of 2021-06-01"
    assert (third["verdict_then"], third["verdict"], third["label"]) == \
        ("contradicted", "supported", "not supported when written, borne out since")
    assert ledger["one-gone"]["label"] == "fair when written, still true"
    assert ledger["unclear"]["label"] == "not checkable"
    cy = ledger["cy-joined"]
    assert cy["verdict"] == "supported" and cy["measured_then"] == \
        "not known by 2021-06-01: no source published by then speaks of the person it names", \
        "a replay's gap in words for readers, not the command line's error"
    assert all(row["known_then"] == row["as_of"] for row in ledger.values())
    assert main(["claims", "--data", str(folder), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["claim_id"], r["verdict_then"], r["verdict"], r["label"]) for r in rows[:2]] == [
        ("half", "supported", "contradicted", "fair when written, overtaken"),
        ("a-third", "contradicted", "supported", "not supported when written, borne out since")]


def test_each_flip_names_the_source_that_changed_it(folder) -> None:
    ds = load(folder)
    found = {f.claim_id: f for f in flips(ds, checked(ds))}
    assert set(found) == {"half", "a-third", "cy-joined"}
    assert (found["cy-joined"].then, found["cy-joined"].sources) == ("not_evaluated", ("third-founder",))
    assert (found["half"].day, found["half"].sources) == ("2022-06-01", ("third-founder",))
    assert (found["a-third"].then, found["a-third"].now) == ("contradicted", "supported")


@pytest.mark.parametrize("then, now, words", [
    ("supported", "supported", "fair when written, still true"),
    ("supported", "contradicted", "fair when written, overtaken"),
    ("supported", "uncertain", "fair when written, unsettled since"),
    ("contradicted", "supported", "not supported when written, borne out since"),
    ("uncertain", "contradicted", "unsettled when written, contradicted since"),
    ("not_evaluated", "supported", "no evidence when written, borne out since"),
])
def test_the_two_verdicts_in_words(then, now, words) -> None:
    assert label(then, now, "exact") == words
