"""Outputs under attack: planted links, datasets in the way, names that climb out, kills, damaged caches,
formula cells. Each test here failed on the code before issue 25's fixes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import FILES, write_dataset

from attrition import load
from attrition.cli import main
from attrition.io import cache, outputs
from attrition.io.outputs import OutputError, formula_safe

ROSTER = "id,name,start,end\na,Ann,2020-01-01,2021-01-01\nb,Bea,2020-02-01,\n"
MAPPING = ('[roster]\nperson_column = "id"\nname_column = "name"\ncompany = "Acme Ltd"\nstart_column = "start"\n'
           'end_column = "end"\nobserved_until = "2022-01-01"\n')


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_link_planted_as_a_lock_file_is_never_followed(data_dir, tmp_path, capsys) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("do not truncate")
    (tmp_path / ".out.lock").symlink_to(victim)
    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "out")]) == 2
    assert "a link is in the place of its lock file" in capsys.readouterr().err
    assert victim.read_text() == "do not truncate" and not (tmp_path / "out").exists()


def test_build_refuses_a_folder_that_holds_an_imported_dataset(data_dir, tmp_path, capsys) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "mapping.toml").write_text(MAPPING)
    imported = tmp_path / "imported"
    assert main(["import", "roster", str(tmp_path / "roster.csv"), "--mapping", str(tmp_path / "mapping.toml"),
                 "--out", str(imported)]) == 0
    (imported / "people.csv").write_text((imported / "people.csv").read_text() + "")  # a hand edit would be here
    before = _files(imported)
    for command in (["build", "--data", str(data_dir), "--out", str(imported)],
                    ["report", "--data", str(data_dir), "--out", str(imported)]):
        assert main(command) == 2
        assert "holds a dataset" in capsys.readouterr().err
    assert _files(imported) == before
    assert main(["import", "roster", str(tmp_path / "roster.csv"), "--mapping", str(tmp_path / "mapping.toml"),
                 "--out", str(imported)]) == 0, "an import may replace the import it wrote"


def test_a_path_outside_the_output_folder_is_refused(tmp_path) -> None:
    assert outputs.inside(tmp_path, "examples/judges/a.html") == tmp_path / "examples/judges/a.html"
    (tmp_path / "out").symlink_to(tmp_path.parent)
    for relative in ("../x.html", "a/../../x.html", "out/x.html", "/etc/x.html"):
        with pytest.raises(OutputError, match="outside the output folder"):
            outputs.inside(tmp_path, relative)


KILLED_BUILD = """
import os, signal, sys
from attrition.core import export
real, calls = export.export_sql, []
def dying(ds, sql):
    calls.append(sql)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # a kill half-way: staging folder and files left behind
    return real(ds, sql)
export.export_sql = dying
from attrition.cli import main
main(["build", "--data", sys.argv[1], "--out", sys.argv[2], "--as-of", "2022-01-01"])
"""

KILLED_SWAP = """
import os, signal, sys
real = os.rename
def dying(src, dst, *args, **kwargs):
    real(src, dst, *args, **kwargs)
    if os.path.basename(str(src)) == "out":  # the old folder moved aside: the moment with no output at all
        os.kill(os.getpid(), signal.SIGKILL)
os.rename = dying
from attrition.cli import main
main(["build", "--data", sys.argv[1], "--out", sys.argv[2], "--as-of", "2022-01-01"])
"""


def _killed(script: str, data_dir: Path, out: Path) -> None:
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(script), str(data_dir), str(out)],
                         env={**os.environ}, capture_output=True, text=True, timeout=120)
    assert run.returncode == -9, run.stderr


def test_a_killed_build_leaves_the_old_set_and_its_junk_in_one_folder_cleared_next_time(data_dir, tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 0
    before = _files(out)
    _killed(KILLED_BUILD, data_dir, out)
    assert _files(out) == before, "the old set, whole"
    junk = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("data", "out", ".out.lock"))
    assert junk == [".attrition-work"], f"staging left outside the work folder: {junk}"
    assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "data", "out"], "the next run clears it"


def test_a_kill_during_the_swap_leaves_a_complete_output_folder(data_dir, tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 0
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_SWAP), str(data_dir), str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, -9), run.stderr
    assert out.is_dir() and (out / "spells.csv").exists(), "an output folder at every instant"
    assert (out / "headcount_monthly.csv").read_text().splitlines()[-1].startswith("acme,2022-01-01,"), "the new set"


def test_formula_guard_covers_every_text_column_whatever_its_dtype() -> None:
    frame = pd.DataFrame({"group": pd.Categorical(["=cmd|' /C calc'!A0", "safe"]),
                          "name": pd.array(["+1", "Ann"], dtype="string"), "note": ["@SUM(A1)", None],
                          "value": [-1.5, 2.0], "day": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    text = formula_safe(frame).to_csv(index=False)
    assert text.splitlines()[1:] == ["'=cmd|' /C calc'!A0,'+1,'@SUM(A1),-1.5,2024-01-01", "safe,Ann,,2.0,2024-01-02"]


def test_the_groups_chart_download_is_formula_safe(tmp_path) -> None:
    """Its group column reaches the CSV as a pandas Categorical, which the guard used to skip."""
    from attrition.site import figures

    lines = FILES["people.csv"].splitlines()
    people = "\n".join([lines[0] + ",group"] + [line + (",=1+1" if i % 2 else ",@team") for i, line in
                                                enumerate(lines[1:])]) + "\n"
    ds = load(write_dataset(tmp_path / "data", people_csv=people))
    groups = {line.split(",", 1)[0] for line in figures.roster_groups(ds, "acme", None, 0.5).csv().splitlines()[1:]}
    assert groups == {"'=1+1", "'@team"}


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_damaged_cache_entry_is_never_used_and_is_rebuilt(data_dir, tmp_path, capsys) -> None:
    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    asked = ["metric", "median_tenure", "--data", str(data_dir), "--company", "acme", "--format", "json"]
    assert main(asked) == 0
    truth = json.loads(capsys.readouterr().out)
    entry = cache.entry(load(data_dir).fingerprint)
    for pattern in ("lasting_*.parquet", "evidence.parquet", "meta.json"):
        target = next(entry.glob(pattern))
        _flip_a_byte(target)
        assert main(asked) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out) == truth, f"a damaged {target.name} changed the answer"
        notes = [line for line in captured.err.splitlines() if line]
        assert len(notes) == 1 and "is damaged" in notes[0] and "discarded and rebuilt" in notes[0], notes
        assert not entry.exists()
        assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "out")]) == 0
        assert cache.damaged(entry) is None and "events" in load(data_dir).derived, "kept anew"
        capsys.readouterr()


def test_a_damaged_ledger_is_computed_again(data_dir, tmp_path, capsys) -> None:
    (data_dir / "claims.csv").write_text(
        "claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note\n"
        "c1,s3,Half the founders left,2022-06-01,departed_share,company=acme; cohort=founder,0.5,exact,,\n")
    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert main(["claims", "--data", str(data_dir), "--format", "csv"]) == 0
    truth = capsys.readouterr().out
    kept = cache.entry(load(data_dir).fingerprint) / cache.LEDGER_FILE
    kept.write_text(kept.read_text().replace("supported", "contradicted").replace("uncertain", "contradicted"))
    assert main(["claims", "--data", str(data_dir), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out == truth and "ledger kept in" in captured.err


def test_a_cache_that_cannot_be_kept_leaves_what_build_wrote_standing(data_dir, tmp_path, capsys, monkeypatch) -> None:
    """At ten million people the engine ran out of memory while keeping the cache, after the tables were written:
    build said "unexpected OutOfMemoryException ... nothing was written" and exited 2 beside a complete folder."""
    import duckdb

    from attrition.core import engines

    def out_of_memory(ds):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256 KiB")

    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(engines, "cached_tables", out_of_memory)
    assert main(["build", "--data", str(data_dir), "--out", str(tmp_path / "out")]) == 0
    said = capsys.readouterr()
    assert "could not be kept in the cache (Out of Memory Error" in said.err and "nothing was written" not in said.err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.csv")) and "wrote" in said.out
