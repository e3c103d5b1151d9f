"""Every kind of bad input gets an error naming file, line, column and value; nothing is written."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from conftest import FILES, write_dataset

from attrition import DataError, load
from attrition.cli import main

EVIDENCE = FILES["evidence.csv"]
PEOPLE = FILES["people.csv"]
SOURCES = FILES["sources.csv"]


def _replace_line(text: str, line_no: int, new: str) -> str:
    lines = text.splitlines()
    lines[line_no - 1] = new
    return "\n".join(lines) + "\n"


CASES = {
    "unparsable date": (
        {"evidence_csv": _replace_line(EVIDENCE, 6, "alice,acme,1,leave,2021-13-01,2021-01-01,s1,last day,")},
        ("evidence.csv", 6, "earliest", "2021-13-01", "not a valid ISO date"),
    ),
    "latest before earliest": (
        {"evidence_csv": _replace_line(EVIDENCE, 7, "bob,acme,1,leave,2022-03-31,2022-03-01,s2,left in March,")},
        ("evidence.csv", 7, "latest", "2022-03-01", "latest is before earliest"),
    ),
    "leave before join": (
        {"evidence_csv": _replace_line(EVIDENCE, 6, "alice,acme,1,leave,2019-05-01,2019-05-31,s1,last day,")},
        ("evidence.csv", 6, "latest", "2019-05-31", "leave ends before the join starts"),
    ),
    "unknown person_id": (
        {"evidence_csv": EVIDENCE + "zed,acme,1,join,2020-01-01,2020-01-01,s1,on the team,\n"},
        ("evidence.csv", len(EVIDENCE.splitlines()) + 1, "person_id", "zed", "unknown person"),
    ),
    "unknown source_id": (
        {"evidence_csv": _replace_line(EVIDENCE, 6, "alice,acme,1,leave,2021-01-01,2021-01-01,s9,last day,")},
        ("evidence.csv", 6, "source_id", "s9", "unknown source_id"),
    ),
    "duplicate source id": (
        {"sources_csv": SOURCES + "s2,Other,Dup,,2022-01-01,en,\n"},
        ("sources.csv", len(SOURCES.splitlines()) + 1, "source_id", "s2", "duplicate id"),
    ),
    "duplicate person": (
        {"people_csv": PEOPLE + "bob,Bob Again,acme,hire,,,\n"},
        ("people.csv", 8, "company", "acme", "duplicate id"),
    ),
    "missing column": (
        {"people_csv": PEOPLE.replace(",cohort,", ",group,", 1)},
        ("people.csv", 1, "cohort", None, "required column is missing"),
    ),
    "empty file": (
        {"sources_csv": ""},
        ("sources.csv", 1, None, "", "file is empty"),
    ),
    "non-UTF-8 file": (
        {"people_csv": PEOPLE.replace("Bob B", "Bob \udce9", 1).encode("utf-8", "surrogateescape")},
        ("people.csv", 3, "name", "0xe9", "not valid UTF-8"),
    ),
    "date after the freeze date": (
        {"evidence_csv": _replace_line(EVIDENCE, 15, "frank,acme,2,leave,2024-01-01,2026-03-31,s3,left again,")},
        ("evidence.csv", 15, "latest", "2026-03-31", "after the dataset's freeze date 2025-12-31"),
    ),
    "undefined team variant": (
        {"people_csv": "\n".join(line + (",team_variants" if i == 0 else ",Z" if line.startswith("bob,") else ",")
                                 for i, line in enumerate(PEOPLE.splitlines())) + "\n"},
        ("people.csv", 3, "team_variants", "Z", "team variant Z is not defined for acme"),
    ),
    "wrong event name": (
        {"evidence_csv": _replace_line(EVIDENCE, 6, "alice,acme,1,quit,2021-01-01,2021-01-01,s1,last day,")},
        ("evidence.csv", 6, "event", "quit", "must be one of"),
    ),
}


def _problem_matching(problems, file, line, column, value, words):
    for p in problems:
        if (p.file, p.line, p.column) == (file, line, column) and (value is None or p.value == value) and words in str(p):
            return p
    raise AssertionError(f"no problem {file}:{line} {column} {value!r} {words!r} in:\n" + "\n".join(map(str, problems)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_located(tmp_path: Path, case: str) -> None:
    overrides, expected = CASES[case]
    folder = write_dataset(tmp_path / "data", **overrides)
    with pytest.raises(DataError) as caught:
        load(folder)
    _problem_matching(caught.value.problems, *expected)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", [["validate"], ["build"], ["metric", "departed_share", "--company", "acme"]])
def test_commands_exit_2_write_nothing_and_leave_raw_files_alone(tmp_path, capsys, case, command) -> None:
    overrides, (file, line, column, value, _) = CASES[case]
    folder = write_dataset(tmp_path / "data", **overrides)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    code = main([*command, "--data", str(folder)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{file}:{line}" in err
    if column is not None:
        assert f"column {column!r}" in err
    assert "nothing was written" in err
    assert not (folder / "processed").exists()
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert after == before


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    evidence = _replace_line(EVIDENCE, 6, "alice,acme,1,leave,2021-13-01,2021-01-01,s1,last day,")
    evidence = _replace_line(evidence, 7, "bob,acme,1,leave,2022-03-01,2022-03-31,s9,left in March,")
    folder = write_dataset(tmp_path / "data", evidence_csv=evidence, sources_csv=SOURCES + "s1,X,Y,,2020-01-01,en,\n")
    with pytest.raises(DataError) as caught:
        load(folder)
    located = {(p.file, p.line, p.column) for p in caught.value.problems}
    duplicate = len(SOURCES.splitlines()) + 1
    assert {("evidence.csv", 6, "earliest"), ("evidence.csv", 7, "source_id"), ("sources.csv", duplicate, "source_id")} <= located


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "data", people_csv="\ufeff" + PEOPLE, dataset_toml="\ufeff" + FILES["dataset.toml"])
    assert len(load(folder).people) == 6


def test_missing_file_and_bad_freeze_date_are_named(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "data", milestones_csv=None, dataset_toml='[dataset]\nfreeze_date = "soon"\n')
    with pytest.raises(DataError) as caught:
        load(folder)
    text = str(caught.value)
    assert "milestones.csv: file not found" in text
    assert "dataset.toml:2: column 'freeze_date': value 'soon'" in text


def test_a_person_without_a_sourced_join_is_rejected(tmp_path: Path) -> None:
    evidence = "\n".join(line for line in EVIDENCE.splitlines() if not line.startswith("erin,")) + "\n"
    with pytest.raises(DataError) as caught:
        load(write_dataset(tmp_path / "data", evidence_csv=evidence))
    _problem_matching(caught.value.problems, "people.csv", 6, "person_id", "erin", "no join row")


def test_a_row_with_too_many_fields_is_located(tmp_path: Path) -> None:
    people = PEOPLE + "zoe,Zoe Z,acme,hire,,,,extra\n"
    with pytest.raises(DataError) as caught:
        load(write_dataset(tmp_path / "data", people_csv=people))
    _problem_matching(caught.value.problems, "people.csv", 8, None, None, "row has 8 fields but the header has 7")


@pytest.mark.parametrize("missing", ["java", "pyspark"])
def test_spark_that_cannot_start_is_one_line_and_exit_2(data_dir: Path, monkeypatch, capsys, missing: str) -> None:
    from attrition.backends import spark as spark_engine

    monkeypatch.setattr(spark_engine, "shared_session", spark_engine.shared_session.__wrapped__)  # never a started one
    if missing == "java":
        monkeypatch.setattr(spark_engine.shutil, "which", lambda name: None)
        monkeypatch.delenv("JAVA_HOME", raising=False)
    else:
        monkeypatch.setattr(spark_engine.shutil, "which", lambda name: f"/usr/bin/{name}")
        monkeypatch.setitem(sys.modules, "pyspark", None)
    assert main(["metric", "departed_share", "--company", "acme", "--data", str(data_dir), "--engine", "spark"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the Spark engine needs ") and missing in err and err.count("\n") == 1
