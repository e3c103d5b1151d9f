"""The command line as a newcomer meets it: errors name the option at fault and the nearest valid choice, a flood
of problems is capped on screen and written whole to a file, progress bars appear only on a terminal, and
`--version` answers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from attrition import progress
from attrition.cli import SHOWN_PROBLEMS, main
from attrition.dev.synthetic import HR_MAPPING, write_hr_export


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    """Exit code, standard output and error of one command; argparse's refusals exit, ours return."""
    try:
        code = main(list(argv))
    except SystemExit as done:
        code = done.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_version(capsys) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and re.fullmatch(r"attrition \d+\.\d+\.\d+\n", out)


@pytest.mark.parametrize("argv, message", [
    (["metric", "departure_rank", "--company", "xai", "--person", "tony"],
     "error: --person names no one at xai: tony (did you mean tony-wu?)"),
    (["metric", "departed_share", "--company", "xAI"],
     "error: --company: unknown company 'xAI' (did you mean xai?)"),
    (["metric", "departed_shares", "--company", "xai"],
     "error: unknown metric 'departed_shares' (did you mean departed_share?)"),
    (["metric", "departed_share", "--compnay", "xai"],
     "error: unrecognized arguments: --compnay xai (did you mean --company?)"),
    (["metric", "departed_share", "--company", "xai", "--cohort", "fouders"],
     "error: argument --cohort: invalid choice: 'fouders' (choose from 'founder', 'hire', 'executive') "
     "(did you mean founder?)"),
    (["metric", "departed_share", "--company", "xai", "--exclude", "elon"],
     "error: --exclude names no one at xai: elon (did you mean elon-musk?)"),
])
def test_errors_name_the_option_at_fault_and_the_nearest_choice(capsys, argv, message) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 2 and err.startswith(message), err
    assert "usage:" not in err, "no usage block before the message"


def test_a_flood_of_problems_is_capped_and_written_whole_to_a_file(tmp_path, capsys, monkeypatch) -> None:
    path = write_hr_export(tmp_path / "in" / "hr.csv", 200)
    (tmp_path / "in" / "mapping.toml").write_text(HR_MAPPING.replace("%d/%m/%Y", "%Y-%m-%d"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, _, err = _run(capsys, "import", "roster", str(path), "--mapping", str(tmp_path / "in" / "mapping.toml"),
                        "--out", str(tmp_path / "out"))
    lines = err.splitlines()
    assert code == 2 and len(lines) == SHOWN_PROBLEMS + 1
    assert all(line.startswith("error: hr.csv:") for line in lines[:-1])
    total = int(re.search(r"([\d,]+) problem\(s\) found", lines[-1]).group(1).replace(",", ""))
    assert total > 200 and f"are above and all {total:,} in {tmp_path / 'attrition-errors.txt'}" in lines[-1]
    assert lines[-1].startswith(f"{total:,} problem(s) found")
    written = (tmp_path / "attrition-errors.txt").read_text().splitlines()
    assert len(written) == total and written[:SHOWN_PROBLEMS] == lines[:-1]
    assert not (tmp_path / "out").exists()


def test_the_list_of_problems_is_never_written_into_the_data_or_the_current_folder(tmp_path, capsys,
                                                                                    monkeypatch) -> None:
    from conftest import write_dataset

    folder = write_dataset(tmp_path / "data")
    evidence = folder / "evidence.csv"
    bad = "".join(f"alice,acme,1,observed,2020-13-{day:02d},2020-13-{day:02d},s1,seen,\n" for day in range(1, 26))
    evidence.write_text(evidence.read_text() + bad)
    monkeypatch.chdir(folder)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    code, _, err = _run(capsys, "validate", "--data", str(folder))
    assert code == 2 and str(tmp_path / "scratch" / "attrition-errors.txt") in err
    assert not (folder / "attrition-errors.txt").exists()


def test_progress_bars_only_on_a_terminal(tmp_path, capsys, monkeypatch) -> None:
    path = write_hr_export(tmp_path / "in" / "hr.csv", 50)
    (tmp_path / "in" / "mapping.toml").write_text(HR_MAPPING)
    argv = ["import", "roster", str(path), "--mapping", str(tmp_path / "in" / "mapping.toml"), "--out"]
    code, out, err = _run(capsys, *argv, str(tmp_path / "a"))
    assert code == 0 and err == "", "silent when standard error is not a terminal"
    monkeypatch.setattr(progress, "enabled", lambda: True)
    code, again, err = _run(capsys, *argv, str(tmp_path / "b"))
    assert code == 0 and "importing hr.csv" in err and "writing the dataset" in err
    assert again.replace(str(tmp_path / "b"), "") == out.replace(str(tmp_path / "a"), ""), "the output is the same"
    monkeypatch.undo()
    monkeypatch.setenv("ATTRITION_PROGRESS", "0")
    assert not progress.enabled()


def test_the_import_summary_uses_the_rosters_own_words(tmp_path, capsys) -> None:
    data = Path(__file__).parents[1] / "data" / "examples" / "federal-judges"
    code, out, _ = _run(capsys, "import", "roster", str(data / "judges.csv"), "--mapping", str(data / "mapping.toml"),
                        "--out", str(tmp_path / "judges"))
    assert code == 0 and ": 3,380 judges at 3 courts, 3,718 spells (802 still there)" in out


def _strict_json(text: str):
    """JSON as the standard reads it: Infinity and NaN are not JSON, whatever Python's own reader accepts."""
    return json.loads(text, parse_constant=lambda constant: pytest.fail(f"{constant} in the JSON"))


def test_json_answers_are_json_an_open_end_and_a_missing_value_null(capsys) -> None:
    """A count over a team of which none may remain has no upper bound; a ratio of two empty windows none at all."""
    code, out, _ = _run(capsys, "metric", "count_ratio", "--company", "xai", "--cohort", "founder",
                        "--count-id", "qbitai-technical-staff-2024-04", "--format", "json")
    answer = _strict_json(out)
    assert code == 0 and answer["hi"] is None and answer["text"].endswith("= 34.00 or more")
    code, out, _ = _run(capsys, "metric", "hazard_ratio", "--company", "xai", "--versus-company", "openai",
                        "--as-of", "2023-07-12", "--format", "json")
    assert code == 0 and _strict_json(out)["details"]["estimate"] is None


@pytest.mark.parametrize("argv, message", [
    (["count_ratio", "--company", "xai", "--cohort", "executive", "--count-id", "qbitai-technical-staff-2024-04"],
     "error: no named executives of xai on 2026-11-22 to divide qbitai-technical-staff-2024-04 by\n"),
    (["interval_median", "--company", "xai", "--cohort", "founder", "--as-of", "2016-01-01"],
     "error: no founders of xai had joined by 2016-01-01\n"),
])
def test_a_metric_of_no_one_says_so(capsys, argv, message) -> None:
    assert _run(capsys, "metric", *argv) == (2, "", message)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("argv", [["metric", "departed_share", "--company", "xai"], ["--version"], ["metric", "--help"]])
def test_a_full_disk_under_standard_output_is_said_in_words(argv) -> None:
    """Even what argparse prints before any command runs (--help, --version) is not lost without a word."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "attrition.cli", *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True)
    assert (done.returncode, done.stderr) == (2, "error: cannot write to standard output: No space left on device\n")


def test_a_range_with_neither_end_reached_says_so_once(capsys) -> None:
    """No founder of Anthropic has left: the median and both ends of its band are 'not reached', said once each."""
    code, out, _ = _run(capsys, "metric", "median_tenure", "--company", "anthropic", "--cohort", "founder")
    assert code == 0 and "not reached to not reached" not in out
    assert out.startswith("median tenure of Anthropic founders: not reached as of ") and "95% CI not reached;" in out
