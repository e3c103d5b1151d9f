"""Inputs the loader must refuse, each with file, line, column and value, exit 2 and nothing written.

Found by mutation fuzzing of the previous loader, which accepted them (some silently losing rows);
the property-based test in test_fuzz.py keeps hunting for new ones.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FILES, write_dataset

from attrition import DataError, load
from attrition.cli import main

EVIDENCE, PEOPLE, SOURCES = FILES["evidence.csv"], FILES["people.csv"], FILES["sources.csv"]

CASES = {
    "unterminated quoted field": (
        {"people_csv": PEOPLE + 'zoe,"Zoe Z,acme,hire,,,\nyan,Yan,acme,hire,,,\n'},
        ("people.csv", 8, None, None, "never closed")),
    "duplicate header name": (
        {"people_csv": PEOPLE.replace("role,note", "role,name", 1)},
        ("people.csv", 1, "name", None, "appears twice in the header")),
    "non-ASCII digits in an integer": (
        {"evidence_csv": EVIDENCE.replace("frank,acme,2,return", "frank,acme,\u0662,return")},
        ("evidence.csv", 14, "spell", "\u0662", "digits 0-9")),
    "non-ASCII digits in a reported count": (
        {"reported_counts_csv": FILES["reported_counts.csv"].replace(",30,about", ",\u0663\u0660,about")},
        ("reported_counts.csv", 2, "value", "\u0663\u0660", "digits 0-9")),
    "NUL byte in a text field": (
        {"people_csv": PEOPLE.replace("Bob B", "Bob\x00B")},
        ("people.csv", 3, "name", "Bob\x00B", "control character (U+0000)")),
    "terminal escape in a text field": (
        {"evidence_csv": EVIDENCE.replace("left in March", "left\x1b[2J in March")},
        ("evidence.csv", 7, "paraphrase", None, "control character (U+001B)")),
    "field over the size limit": (
        {"people_csv": PEOPLE.replace("Bob B", "B" * 70_000)},
        ("people.csv", 3, "name", None, "longer than 65,536 characters")),
    "record over the line limit": (
        {"people_csv": PEOPLE.replace("Bob B", "B" * 5_000_000)},
        ("people.csv", 3, None, None, "longer than 4 MiB")),
    "record over the line limit, each field under it": (
        {"people_csv": PEOPLE.replace("bob,Bob B,acme,founder,Lab A,CTO,",
                                      f"bob,{'B' * 1_500_000},acme,founder,{'L' * 1_500_000},{'C' * 1_500_000},")},
        ("people.csv", 3, None, None, "longer than 4 MiB")),
    "date before 1700": (
        {"evidence_csv": EVIDENCE.replace("2021-01-01,2021-01-01,s1,last day", "1677-09-21,2021-01-01,s1,last day")},
        ("evidence.csv", 6, "earliest", "1677-09-21", "outside the supported range")),
    "date after 2200 in an optional column": (
        {"sources_csv": SOURCES.replace("2022-04-02", "2262-04-12")},
        ("sources.csv", 3, "published", "2262-04-12", "outside the supported range")),
    "freeze date after 2200": (
        {"dataset_toml": '[dataset]\nfreeze_date = "9999-12-31"\n'},
        ("dataset.toml", 2, "freeze_date", "9999-12-31", "between 1700-01-01 and 2200-12-31")),
    "overlapping spells of one person": (
        {"evidence_csv": EVIDENCE.replace("frank,acme,2,return,2023-01-10,2023-01-10",
                                          "frank,acme,2,return,2022-01-10,2022-01-10")},
        ("evidence.csv", 14, "latest", "2022-01-10", "may not overlap")),
    "a return without a prior leave": (
        {"evidence_csv": EVIDENCE.replace("frank,acme,1,leave,2022-06-30,2022-06-30,s2,left,\n", "")},
        ("evidence.csv", 13, "event", "return", "needs spell 1 to have ended")),
    "a spell number that skips one": (
        {"evidence_csv": EVIDENCE.replace("frank,acme,2,", "frank,acme,3,")},
        ("evidence.csv", 14, "spell", "3", "follows no spell 2")),
    "an observation before the person joined": (
        {"evidence_csv": EVIDENCE + "erin,acme,1,observed,2020-06-01,2020-06-01,s2,still there,\n"},
        ("evidence.csv", len(EVIDENCE.splitlines()) + 1, "earliest", "2020-06-01", "observed before the join starts")),
    "malformed dataset.toml": (
        {"dataset_toml": '[dataset\nfreeze_date = "2025-12-31"\n'},
        ("dataset.toml", 1, None, None, "not valid TOML")),
    "an engine that does not exist": (
        {"dataset_toml": '[dataset]\nfreeze_date = "2025-12-31"\n[engine]\nname = "oracle"\n'},
        ("dataset.toml", 4, "engine", "oracle", "name = one of: duckdb, spark")),
    "dataset.toml without a [dataset] table": (
        {"dataset_toml": 'dataset = "2025-12-31"\n'},
        ("dataset.toml", 1, "dataset", None, "needs a [dataset] table")),
    "a URL that is not http(s)": (
        {"sources_csv": SOURCES.replace("https://example.org/launch", "javascript:alert(1)")},
        ("sources.csv", 2, "url", "javascript:alert(1)", "http:// or https://")),
}


def _located(problems, file, line, column, value, words) -> None:
    assert any((p.file, p.line, p.column) == (file, line, column) and (value is None or p.value == value)
               and words in p.message for p in problems), "\n".join(map(str, problems))


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_and_located(tmp_path: Path, case: str) -> None:
    overrides, expected = CASES[case]
    with pytest.raises(DataError) as caught:
        load(write_dataset(tmp_path / "data", **overrides))
    _located(caught.value.problems, *expected)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_command_exits_2_and_writes_nothing(tmp_path: Path, capsys, case: str) -> None:
    overrides, (file, line, column, _, _) = CASES[case]
    folder = write_dataset(tmp_path / "data", **overrides)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    for command in (["validate"], ["build", "--out", str(tmp_path / "out")], ["metric", "departed_share", "--company", "acme"]):
        assert main([*command, "--data", str(folder)]) == 2
        err = capsys.readouterr().err
        assert f"{file}:{line}" in err if line else f"{file}:" in err
        assert column is None or f"column {column!r}" in err
        assert "nothing was written" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()} == before


def test_a_file_that_is_a_folder_is_named(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "data", people_csv=None)
    (folder / "people.csv").mkdir()
    with pytest.raises(DataError, match="people.csv: .* is a folder, not a file"):
        load(folder)


def test_an_unreadable_file_is_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))  # an empty cache: the file must be read
    folder = write_dataset(tmp_path / "data")
    real_open = os.open

    def denied(path, *args, **kwargs):
        if str(path).endswith("people.csv"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(DataError, match="people.csv: cannot be read: Permission denied"):
        load(folder)


def test_a_data_folder_that_is_missing_or_a_file_is_named(tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    for target in (tmp_path / "missing", tmp_path / "file"):
        assert main(["validate", "--data", str(target)]) == 2
        assert "data directory not found" in capsys.readouterr().err


@pytest.mark.parametrize("env", [{"LC_ALL": "C", "PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C.UTF-8"},
                                 {"LANG": "", "LC_ALL": ""}])
def test_any_locale_prints_without_a_traceback(env) -> None:
    """A claim whose publisher is written in Japanese, printed where the terminal takes ASCII only, or no locale."""
    run = subprocess.run([sys.executable, "-m", "attrition.cli", "claims", "--format", "table", "--claim", "c1-2b"],
                         capture_output=True, text=True, env={**os.environ, **env}, errors="replace")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "contradicted" in run.stdout
    assert "(Japanese AI blog)" in run.stdout
    assert run.stdout.isascii() == (env.get("PYTHONIOENCODING") == "ascii"), "escaped only where it must be"


def test_as_of_outside_the_data_is_refused(capsys) -> None:
    assert main(["metric", "departed_share", "--company", "xai", "--as-of", "2030-01-01"]) == 2
    assert "after the dataset's freeze date 2026-11-22" in capsys.readouterr().err
    assert main(["metric", "departed_share", "--company", "xai", "--as-of", "1500-01-01"]) == 2
    assert "outside the supported range" in capsys.readouterr().err


def test_a_parameter_the_metric_does_not_take_is_an_error(capsys) -> None:
    assert main(["metric", "departed_share", "--company", "xai", "--days", "30"]) == 2
    err = capsys.readouterr().err
    assert "metric departed_share takes no --days; it takes: --company, --cohort, --as-of, --exclude" in err


def test_cells_lose_the_white_space_around_them_and_nothing_else(tmp_path: Path) -> None:
    """Each cell is trimmed of any white space str.isspace knows (a trailing U+001F is white space, not a
    control character to refuse). Text inside a cell is kept, even a '|', which the loader uses to find
    the few padded records in one pass; an optional column the file lacks reads as empty, never missing."""
    people = PEOPLE.replace("Bob B,", "\u3000Bob B\xa0 ,").replace("Lab A;Lab B", "Lab A | Lab B")
    evidence = EVIDENCE.replace("left in March,", "\u2003left in March\x1f,").replace("came back,", "came | back,")
    ds = load(write_dataset(tmp_path / "data", people_csv=people, evidence_csv=evidence))
    people_rows = {p: (name, prior) for p, name, prior in ds.engine.rows(
        "SELECT person_id, name, prior_affiliations FROM people")}
    assert people_rows["bob"] == ("Bob B", "Lab A") and people_rows["alice"] == ("Alice A", "Lab A | Lab B")
    paraphrases = {(p, e, s): text for p, e, s, text in ds.engine.rows(
        "SELECT person_id, event, spell, paraphrase FROM evidence")}
    assert paraphrases[("bob", "leave", 1)] == "left in March" and paraphrases[("frank", "return", 2)] == "came | back"
    assert ds.engine.rows("""SELECT count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason <> '')
                             FROM evidence""") == [(0, 0)]
    assert ds.engine.rows('SELECT count(*) FROM people WHERE "group" IS NULL OR "group" <> \'\'') == [(0,)]


@pytest.mark.parametrize("mib", [64, 65])
def test_a_record_as_long_as_duckdbs_buffer_is_refused_not_dropped(tmp_path: Path, mib: int) -> None:
    """DuckDB silently drops an unquoted record of 64 MiB or more (its read buffer); 63 MiB it refuses."""
    folder = write_dataset(tmp_path / "data")
    with open(folder / "people.csv", "ab") as handle:
        handle.write(b"zoe,Zoe,acme,hire,," + b"x" * (mib << 20) + b",\n")
    with pytest.raises(DataError) as caught:
        load(folder)
    _located(caught.value.problems, "people.csv", 8, None, None, "longer than 4 MiB")


def test_mixed_line_endings_read_as_csv_readers_read_them(tmp_path: Path) -> None:
    """A CRLF file with rows appended with LF (a spreadsheet, then a text editor) is valid CSV."""
    crlf = FILES["reported_counts.csv"].replace("\n", "\r\n")
    folder = write_dataset(tmp_path / "data", reported_counts_csv=crlf + "acme-hires-2022,acme,hires,2022-01-01,"
                                                                      "2022-12-31,3,exact,\"two\r\nlines\",s2\n")
    rows = load(folder).engine.rows("SELECT count_id, scope_note FROM counts ORDER BY rec")
    assert rows[-1] == ("acme-hires-2022", "two\r\nlines") and len(rows) == 3
    broken = write_dataset(tmp_path / "broken", reported_counts_csv=crlf + 'x,acme,hires,2022-01-01,"\n')
    with pytest.raises(DataError, match="reported_counts.csv:4: .*never closed"):
        load(broken)


def test_a_fifo_in_the_data_folder_is_refused_not_waited_on(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "data", people_csv=None)
    os.mkfifo(folder / "people.csv")
    run = subprocess.run([sys.executable, "-m", "attrition.cli", "validate", "--data", str(folder)],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "ATTRITION_CACHE": str(tmp_path / "cache")})
    assert run.returncode == 2 and "people.csv: " in run.stderr and "not a regular file" in run.stderr, run.stderr
