"""The Parquet cache is used when the files are unchanged and never when they changed; outputs are safe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from argparse import Namespace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import FILES, write_dataset

from attrition import DataError, load
from attrition.claims import ledger as claims
from attrition.cli import _answered, main
from attrition.dev.synthetic import write_synthetic
from attrition.io import cache, csvfiles
from attrition.io.outputs import exclusive
from attrition.locations import DEFAULT_DATA_DIR


def test_a_second_command_reads_the_cache_not_the_csv(data_dir, tmp_path, monkeypatch, capsys) -> None:
    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "out")]) == 0
    monkeypatch.setattr(csvfiles, "read_prefix", lambda *a: pytest.fail("CSV parsed although the cache is current"))
    ds = load(data_dir)
    assert "events" in ds.derived
    assert main(["metric", "departed_share", "--data", str(data_dir), "--company", "acme", "--cohort", "founder"]) == 0
    assert "4 of 4 founders departed" in capsys.readouterr().out


def test_an_edited_file_is_read_again_even_with_its_old_timestamp(data_dir, tmp_path) -> None:
    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "out")]) == 0
    people = data_dir / "people.csv"
    stat = people.stat()
    people.write_text(FILES["people.csv"].replace("Alice A", "Alice!"), encoding="utf-8")  # same size
    os.utime(people, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load(data_dir).people.loc[0, "name"] == "Alice!"
    people.write_text(FILES["people.csv"].replace("alice,", "Alice,"), encoding="utf-8")
    with pytest.raises(DataError, match="people.csv:2"):
        load(data_dir)


@pytest.mark.parametrize("where", ["itself", "inside", "parent", "link"])
def test_build_refuses_the_data_folder(data_dir, tmp_path, capsys, where) -> None:
    target = {"itself": data_dir, "inside": data_dir / "processed", "parent": data_dir.parent,
              "link": tmp_path / "link"}[where]
    if where == "link":
        target.symlink_to(data_dir)
    before = {p.name: p.read_bytes() for p in data_dir.iterdir()}
    assert main(["build", "--data", str(data_dir), "--out", str(target)]) == 2
    assert "data folder" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in data_dir.iterdir()} == before


def test_build_refuses_a_folder_it_did_not_make_and_replaces_its_own_whole(data_dir, tmp_path, capsys) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("do not delete")
    assert main(["build", "--data", str(data_dir), "--out", str(foreign)]) == 2
    assert "not made by attrition" in capsys.readouterr().err and (foreign / "thesis.docx").exists()
    out = tmp_path / "out"
    assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 0
    (out / "stale.csv").write_text("from an older build")
    assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 0
    assert not (out / "stale.csv").exists() and (out / "spells.csv").exists()
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name or ".old-" in p.name]


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(data_dir, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    with exclusive(out):
        assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 2
    assert "another attrition run is writing" in capsys.readouterr().err


def test_a_failure_half_way_leaves_the_previous_build_untouched(data_dir, tmp_path, monkeypatch, capsys) -> None:
    out = tmp_path / "out"
    assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    from attrition.core import export as build

    real = build.export_sql
    calls = iter(range(100))
    monkeypatch.setattr(build, "export_sql", lambda ds, sql: real(ds, sql) if next(calls) < 3 else 1 / 0)
    assert main(["build", "--data", str(data_dir), "--out", str(out), "--as-of", "2022-01-01"]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]


def test_build_as_of_applies_to_every_table(data_dir, tmp_path) -> None:
    """Each of the six tables holds only what may have happened by the as-of day, and each loses rows to it."""
    import pandas as pd

    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "all")]) == 0
    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "cut"), "--as-of", "2021-01-15"]) == 0
    first_day = {"events.csv": "earliest", "conflicts.csv": "resolved_earliest", "spells.csv": "start_lo",
                 "hires.csv": "start_lo", "headcount_monthly.csv": "date", "milestones.csv": "earliest"}
    assert sorted(first_day) == sorted(p.name for p in (tmp_path / "all").glob("*.csv"))
    for name, column in first_day.items():
        everything, cut = (pd.read_csv(tmp_path / folder / name) for folder in ("all", "cut"))
        assert (everything[column] > "2021-01-15").any(), f"{name}: the fixture must have something later"
        assert (cut[column] <= "2021-01-15").all() and len(cut) < len(everything), name
    last = (tmp_path / "cut" / "headcount_monthly.csv").read_text().splitlines()[-1]
    assert last.startswith("acme,2021-01-01,")


def test_header_only_tables_are_valid(tmp_path, capsys) -> None:
    header = lambda name: FILES[name].splitlines()[0] + "\n"
    folder = write_dataset(tmp_path / "data", milestones_csv=header("milestones.csv"),
                           reported_counts_csv=header("reported_counts.csv"))
    (folder / "claims.csv").write_text("claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note\n")
    for command in (["validate"], ["build", "--out", str(tmp_path / "out")], ["claims"],
                    ["metric", "compare_labs"], ["metric", "median_tenure", "--company", "acme"]):
        assert main([*command, "--data", str(folder)]) == 0, capsys.readouterr().err


def test_other_code_is_never_answered_from_the_cache(data_dir, tmp_path, monkeypatch) -> None:
    """A changed rule must not be served tables the old code derived: the code version is in every key."""
    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "out")]) == 0
    assert "events" in load(data_dir).derived
    monkeypatch.setattr(cache, "code_version", lambda: "0" * 64)
    parsed = []
    monkeypatch.setattr(csvfiles, "read_prefix", lambda *a, real=csvfiles.read_prefix: parsed.append(a) or real(*a))
    assert "events" not in load(data_dir).derived and parsed


@pytest.fixture
def shipped_copy(tmp_path) -> Path:
    return Path(shutil.copytree(DEFAULT_DATA_DIR, tmp_path / "data", ignore=shutil.ignore_patterns("aiwatch")))


def test_the_ledger_is_kept_once_built_and_read_back(shipped_copy, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))  # the data checked, nothing kept yet
    data = ["--data", str(shipped_copy)]
    assert main(["claims", "--format", "csv", *data]) == 0
    computed = capsys.readouterr().out
    assert cache.read_ledger(load(shipped_copy).fingerprint) is None  # not built: nowhere to keep it
    assert main(["build", "--out", str(tmp_path / "out"), *data]) == 0
    assert main(["claims", "--format", "csv", *data]) == 0
    assert cache.read_ledger(load(shipped_copy).fingerprint) is not None
    capsys.readouterr()
    monkeypatch.setattr(claims, "evaluate", lambda *a: pytest.fail("the kept ledger was computed again"))
    assert main(["claims", "--format", "csv", *data]) == 0
    assert capsys.readouterr().out == computed
    assert main(["claims", "--format", "csv", "--claim", "c0-2", *data]) == 0
    one = capsys.readouterr().out.splitlines()
    assert len(one) == 2 and one[1].startswith("c0-2,") and one[1] in computed.splitlines()
    assert main(["claims", "--claim", "c9-9", *data]) == 2
    assert capsys.readouterr().err == "error: no claim 'c9-9' in claims.csv\n"


MEDIAN = ["metric", "median_tenure", "--company", "acme", "--cohort", "founder"]
CHECK = ["check", "median_tenure", "--company", "acme", "--cohort", "founder", "--reported", "900", "--reading", "at_least"]


def test_an_answer_is_kept_once_built_and_read_back_for_the_same_question_only(data_dir, tmp_path, monkeypatch,
                                                                                capsys) -> None:
    """`metric` and `check` print what they printed before when asked the same question on unchanged files and code,
    without computing it; any other question (another argument or format) is computed."""
    from attrition.measures import registry
    from attrition.result import MetricError

    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))
    data = ["--data", str(data_dir)]
    asked = [MEDIAN + data, [*MEDIAN, "--format", "json", *data], CHECK + data, [*CHECK, "--format", "json", *data]]
    computed = []
    for args in asked:
        assert main(args) == 0
        computed.append(capsys.readouterr().out)
    answers = cache.entry(load(data_dir).fingerprint) / cache.ANSWERS
    assert not answers.exists()  # not built: nowhere to keep them
    assert main(["build", "--out", str(tmp_path / "out"), *data]) == 0
    capsys.readouterr()
    for args, out in zip(asked, computed):
        assert main(args) == 0 and capsys.readouterr().out == out
    assert len(list(answers.glob("*.json"))) == len(asked)

    def computed_again(*args, **kwargs):
        raise MetricError("computed again")

    monkeypatch.setattr(registry, "compute", computed_again)
    monkeypatch.setattr("attrition.claims.ledger.compute", computed_again)
    for args, out in zip(asked, computed):
        assert main(args) == 0
        captured = capsys.readouterr()
        assert (captured.out, captured.err) == (out, "")
    for other in ([*MEDIAN[:-1], "hire", *data], [*CHECK[:-1], "more_than", *data]):
        assert main(other) == 2 and capsys.readouterr().err == "error: computed again\n"


def test_a_second_run_of_a_fit_reads_its_answer_without_pandas(data_dir, tmp_path) -> None:
    """The reason answers are kept: a fit on frames (here the reasons for leaving, as competing risks) needs
    pandas, whose import is a third of the command's time."""
    env = {**os.environ, "ATTRITION_CACHE": str(tmp_path / "cache")}
    args = ["metric", "reasons", "--company", "acme", "--data", str(data_dir)]
    script = (f"import sys; from attrition.cli import main; code = main({args!r}); "
              "print('pandas' in sys.modules, file=sys.stderr); sys.exit(code)")
    assert subprocess.run([sys.executable, "-m", "attrition.cli", "build", "--data", str(data_dir), "--out",
                           str(tmp_path / "out")], env=env, capture_output=True).returncode == 0
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True) for _ in (1, 2)]
    assert [(r.returncode, r.stderr) for r in runs] == [(0, "True\n"), (0, "False\n")]
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.startswith("5 of 6 people of acme had left")


def test_a_damaged_answer_is_computed_again(data_dir, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))
    data = ["--data", str(data_dir)]
    assert main(["build", "--out", str(tmp_path / "out"), *data]) == 0
    capsys.readouterr()
    assert main(MEDIAN + data) == 0
    truth = capsys.readouterr().out
    (kept,) = (cache.entry(load(data_dir).fingerprint) / cache.ANSWERS).glob("*.json")
    kept.write_text(kept.read_text().replace('"output": "', '"output": "not what was printed: '))
    assert main(MEDIAN + data) == 0
    captured = capsys.readouterr()
    assert captured.out == truth and f"the answer kept in {kept} is damaged" in captured.err
    assert main(MEDIAN + data) == 0 and capsys.readouterr() == (truth, "")  # kept anew


def test_answers_are_not_kept_for_errors_a_day_s_knowledge_or_edited_files(data_dir, tmp_path, monkeypatch,
                                                                              capsys) -> None:
    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))
    data = ["--data", str(data_dir)]
    share = ["metric", "departed_share", "--company", "acme", "--cohort", "founder", *data]
    assert main(["build", "--out", str(tmp_path / "out"), *data]) == 0
    answers = cache.entry(load(data_dir).fingerprint) / cache.ANSWERS
    assert main(["metric", "departed_share", "--company", "nobody", *data]) == 2  # an error: nothing kept
    assert main([*share, "--known-as-of", "2023-01-01"]) == 0  # the data as known on a day: computed, not kept
    assert not answers.exists()
    replay = SimpleNamespace(engine=SimpleNamespace(dialect="duckdb"), known_as_of=date(2023, 1, 1),
                             fingerprint=load(data_dir).fingerprint)  # even where its entry exists (Spark made one)
    asked = []
    for _ in (1, 2):
        assert _answered(replay, Namespace(command="metric"), lambda: asked.append(1) or "computed\n") == "computed\n"
    assert len(asked) == 2 and not answers.exists()
    assert main(share) == 0 and "4 of 4 founders departed" in capsys.readouterr().out
    assert len(list(answers.glob("*.json"))) == 1
    evidence = data_dir / "evidence.csv"
    evidence.write_text(evidence.read_text().replace("dan,acme,1,step_back,2024-06-15,2024-06-15,s3,became an adviser,\n",
                                                     ""), encoding="utf-8")
    assert main(share) == 0 and "3 of 4 founders departed" in capsys.readouterr().out


def test_no_library_version_other_than_the_installed_one_answers(monkeypatch) -> None:
    """A kept answer was computed by this package's code and by the libraries it computes with (a new lifelines may
    fit differently): each library's version is part of the code version, so of every key."""
    import importlib.metadata

    installed = cache.code_version.__wrapped__()
    assert cache.code_version.__wrapped__() == installed
    real = cache.installed_version
    for name in cache.COMPUTED_BY:
        assert real(name) == importlib.metadata.version(name)  # the Version line is the version
        monkeypatch.setattr(cache, "installed_version", lambda n, name=name: "0.0" if n == name else real(n))
        assert cache.code_version.__wrapped__() != installed, name
        monkeypatch.undo()
    monkeypatch.setattr(cache, "installed_version", lambda n: None if n == "scipy" else real(n))
    assert cache.code_version.__wrapped__() != installed  # a library not installed is a version too
    assert real("no-such-library") is None


def test_what_lies_where_an_answer_would_be_kept_is_never_an_answer(data_dir, tmp_path, monkeypatch, capsys) -> None:
    """A folder (or a file where the answers' folder would be) is not an answer: the question is computed without a
    word about damage, and `build` still adds its tables to the entry. With stdout closed, nothing is printed and
    nothing fails."""
    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))
    data = ["--data", str(data_dir)]
    assert main(["validate", *data]) == 0
    assert main(MEDIAN + data) == 0
    truth = capsys.readouterr().out.splitlines()[-1] + "\n"
    folder = cache.entry(load(data_dir).fingerprint)
    (kept,) = (folder / cache.ANSWERS).glob("*.json")
    kept.unlink()
    kept.mkdir()
    (folder / cache.ANSWERS / "stray.json").mkdir()
    assert main(MEDIAN + data) == 0 and capsys.readouterr() == (truth, "")
    assert main(["build", "--out", str(tmp_path / "out"), *data]) == 0
    assert "lasting" in " ".join(json.loads((folder / "meta.json").read_text())["tables"])
    shutil.rmtree(folder / cache.ANSWERS, ignore_errors=True)  # build carried no answer over: none was a file
    (folder / cache.ANSWERS).write_text("not a folder")
    capsys.readouterr()
    assert main(MEDIAN + data) == 0 and capsys.readouterr() == (truth, "")
    monkeypatch.setattr(sys, "stdout", None)  # `attrition metric ... >&-`
    assert main(MEDIAN + data) == 0


def test_answers_kept_before_a_build_that_adds_tables_are_kept_with_them(data_dir, tmp_path, monkeypatch) -> None:
    """`validate` keeps the checked tables; an answer asked then stays in the entry when `build` adds its tables."""
    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))
    data = ["--data", str(data_dir)]
    assert main(["validate", *data]) == 0
    assert main(["metric", "departed_share", "--company", "acme", "--cohort", "founder", *data]) == 0
    answers = cache.entry(load(data_dir).fingerprint) / cache.ANSWERS
    before = {p.name: p.read_bytes() for p in answers.glob("*.json")}
    tables = set(json.loads((answers.parent / "meta.json").read_text())["tables"])
    assert main(["build", "--out", str(tmp_path / "out"), *data]) == 0
    assert tables < set(json.loads((answers.parent / "meta.json").read_text())["tables"])  # the entry was rewritten
    assert len(before) == 1 and {p.name: p.read_bytes() for p in answers.glob("*.json")} == before


def test_a_reader_that_stops_early_is_not_an_error(data_dir, monkeypatch, capsys) -> None:
    """`attrition validate | head -1`: the reader has what it wanted; no error, no traceback."""
    read, write = os.pipe()
    os.close(read)
    monkeypatch.setattr(sys, "stdout", open(write, "w", buffering=1, encoding="utf-8"))
    assert main(["validate", "--data", str(data_dir)]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_tables_too_large_for_one_thread_are_written_in_their_order(tmp_path, monkeypatch) -> None:
    """DuckDB splits large tables between threads: every CSV is written from a table stored in its order, and
    the cache keeps that order, so the order (and the bytes) cannot depend on which thread finished first,
    whether the tables were made from the files, kept by `validate` or kept by an earlier `build`."""
    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))
    data = write_synthetic(tmp_path / "data", 260_000, 10, seed=7)
    assert main(["validate", "--data", str(data)]) == 0
    orders = {"spells.csv": ["company", "cohort", "start_lo", "person_id", "spell"],
              "hires.csv": ["company", "cohort", "start_lo", "person_id", "spell"],
              "events.csv": ["person_id", "company", "spell", "earliest", "event"]}
    for out in (tmp_path / "out", tmp_path / "again"):  # the events from validate's cache, then the spells from build's
        assert main(["build", "--data", str(data), "--out", str(out)]) == 0
        for name, order in orders.items():
            key = pd.read_csv(out / name, usecols=order, dtype=str)[order].assign(spell=lambda t: t["spell"].astype(int))
            assert len(key) > 2 * 122_880 or name == "hires.csv"  # more than two of DuckDB's row groups
            assert key.equals(key.sort_values(order, ignore_index=True)), (out.name, name)
    assert (tmp_path / "out" / "events.csv").read_bytes() == (tmp_path / "again" / "events.csv").read_bytes()


def test_a_library_installed_as_an_egg_has_its_version_too(tmp_path, monkeypatch) -> None:
    """An egg keeps its metadata in PKG-INFO, not METADATA: its version is still read, so still in the key."""
    import importlib.metadata

    (tmp_path / "fakelib.egg-info").mkdir()
    (tmp_path / "fakelib.egg-info" / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: fakelib\nVersion: 1.2.3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cache.installed_version("fakelib") == importlib.metadata.version("fakelib") == "1.2.3"
