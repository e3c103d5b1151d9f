"""The checks' shortcuts never let a problem through: cheap tests flag records and spells, and the queries that
name each problem run where a test fails; what `validate` checked is kept, so `build` does not check again."""

from __future__ import annotations

import filecmp
import json

import pytest
from conftest import FILES, write_dataset

from attrition import DataError, load
from attrition.backends.duckdb import Engine
from attrition.cli import main
from attrition.io import cache, checks, csvfiles
from attrition.locations import DEFAULT_DATA_DIR
from attrition.schema import TABLES

EVIDENCE = FILES["evidence.csv"]
MOVES = "person_id,company,spell,destination,destination_company,category,earliest,latest,source_id,paraphrase,note\n"
CORRECTIONS = "edition,person_id,company,spell,event,change,before,after,source_ids,reason\n"
SPELL_RULES = {  # each breaks one rule of the spells (or of the evidence's references) and nothing else
    "no join": ({"evidence_csv": EVIDENCE.replace("dan,acme,1,join,", "dan,acme,1,return,")},
                "spell 1 starts with a join"),
    "a join for a later spell": ({"evidence_csv": EVIDENCE.replace("frank,acme,2,return,", "frank,acme,2,join,")},
                                 "spell 2 starts with a return"),
    "a spell without its start": ({"evidence_csv": EVIDENCE.replace("frank,acme,2,return,2023-01-10,2023-01-10,s3,came back,\n", "")},
                                  "spell 2 of frank has no return row to start it"),
    "an end before the start": ({"evidence_csv": EVIDENCE.replace("alice,acme,1,leave,2021-01-01,2021-01-01",
                                                                  "alice,acme,1,leave,2019-01-01,2019-01-01")},
                                "leave ends before the join starts"),
    "seen before the start": ({"evidence_csv": EVIDENCE.replace("bob,acme,1,observed,2022-02-15,2022-02-15",
                                                                "bob,acme,1,observed,2019-02-15,2019-02-15")},
                              "observed before the join starts"),
    "seen after the end": ({"evidence_csv": EVIDENCE.replace("dan,acme,1,observed,2024-06-01,2024-06-01",
                                                             "dan,acme,1,observed,2024-07-01,2024-07-01")},
                           "observed after the spell ended"),
    "seen after the source was published": ({"evidence_csv": EVIDENCE.replace(
        "erin,acme,1,observed,2025-11-30,2025-11-30,s4", "erin,acme,1,observed,2025-12-20,2025-12-20,s4")},
        "a source cannot show someone still there after it was published"),
    "a spell number skipped": ({"evidence_csv": EVIDENCE.replace("frank,acme,2,", "frank,acme,3,")},
                               "spell 3 of frank follows no spell 2"),
    "a return before the end": ({"evidence_csv": EVIDENCE.replace("frank,acme,2,return,2023-01-10,2023-01-10",
                                                                  "frank,acme,2,return,2022-06-01,2022-06-01")},
                                "return is dated before spell 1 ends"),
    "a return without an end": ({"evidence_csv": EVIDENCE.replace("frank,acme,1,leave,2022-06-30,2022-06-30,s2,left,\n", "")},
                                "a return needs spell 1 to have ended first"),
    "evidence about someone not in people.csv": ({"evidence_csv": EVIDENCE + "zed,acme,1,join,2020-01-01,2020-01-01,s1,x,\n"},
                                                  "unknown person at company"),
    "one source twice for one event": ({"evidence_csv": EVIDENCE + "bob,acme,1,leave,2022-03-01,2022-03-31,s2,again,\n"},
                                       "duplicate id (person_id=bob, company=acme, spell=1, event=leave, source_id=s2)"),
    "a move after no departure": ({"moves_csv": MOVES + "erin,acme,1,Lab,,ai_lab,2024-01-01,2024-01-31,s3,moved,\n"},
                                  "a move follows a departure, but spell 1 of erin has no leave or step_back row"),
    "a move before the spell": ({"moves_csv": MOVES + "alice,acme,1,Lab,,ai_lab,2019-01-01,2019-01-31,s1,moved,\n"},
                                "the move is dated before the spell started"),
    "a correction resting on an unknown source": (
        {"corrections.csv": CORRECTIONS + "2025-01-01,alice,acme,1,join,source_added,,,s1;s9,found a source\n"},
        "unknown source_id s9"),
}


@pytest.mark.parametrize("rule", sorted(SPELL_RULES))
def test_the_cheap_tests_of_the_spells_catch_every_rule(tmp_path, monkeypatch, rule) -> None:
    files, words = SPELL_RULES[rule]
    folder = write_dataset(tmp_path / "data", **{k: v for k, v in files.items() if k.endswith("_csv") and k != "moves_csv"})
    if "moves_csv" in files:
        (folder / "moves.csv").write_text(files["moves_csv"], encoding="utf-8")
    for name in (k for k in files if k.endswith(".csv")):  # optional files the fixture does not write
        (folder / name).write_text(files[name], encoding="utf-8")
    verdicts = []
    real = checks.structure_holds
    monkeypatch.setattr(checks, "structure_holds", lambda engine: verdicts.append(real(engine)) or verdicts[-1])
    with pytest.raises(DataError) as refused:
        load(folder)
    assert words in str(refused.value)
    assert verdicts in ([], [False])  # the cheap tests failed (or, with a duplicate key, were not trusted)


def test_clean_data_never_reaches_the_queries_that_name_problems(data_dir, monkeypatch) -> None:
    monkeypatch.setattr(checks, "check_spells", lambda engine: pytest.fail("the spells were checked row by row"))
    monkeypatch.setattr(checks, "duplicates", lambda engine, spec: [] if spec.name != "evidence"
                        else pytest.fail("the evidence's keys were compared row by row"))
    assert load(data_dir).count("evidence") == len(EVIDENCE.splitlines()) - 1


def test_no_record_of_the_shipped_files_is_flagged() -> None:
    """The typed pass's tests pass every clean record, whatever its script or punctuation: nothing clean pays
    for the exact rules."""
    engine = load(DEFAULT_DATA_DIR.parent / DEFAULT_DATA_DIR.name).engine
    if not engine.has_table(checks.rows_of("evidence")):  # read from the cache: check the files again
        from attrition.io.dataset import check_folder

        engine = check_folder(DEFAULT_DATA_DIR).engine
    flagged = {name: engine.rows(f"SELECT count(*) FROM {checks.rows_of(name)} WHERE _flag")[0][0] for name in TABLES}
    assert flagged == dict.fromkeys(TABLES, 0)


def test_build_reads_what_validate_kept_and_writes_what_a_cold_build_writes(tmp_path, monkeypatch) -> None:
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    folder = write_dataset(tmp_path / "data")
    assert main(["build", "--data", str(folder), "--out", str(cold)]) == 0
    monkeypatch.setenv("ATTRITION_CACHE", str(tmp_path / "cache"))
    assert main(["validate", "--data", str(folder)]) == 0
    monkeypatch.setattr(csvfiles, "read_prefix", lambda *a: pytest.fail("build parsed the CSV files again"))
    assert main(["build", "--data", str(folder), "--out", str(warm)]) == 0
    names = sorted(p.name for p in cold.iterdir())
    assert names == sorted(p.name for p in warm.iterdir())
    assert filecmp.cmpfiles(cold, warm, names, shallow=False)[0] == names
    entry = cache.entry(cache.fingerprint(folder))  # one sealed entry: validate's tables, and build's beside them
    assert cache.damaged(entry) is None and cache.open_cached(folder)[0] is not None
    assert {"events", "spell_ends", "spell_sightings", "lasting_120453"} <= set(json.loads((entry / "meta.json").read_text())["derived"])


def test_duckdb_holds_a_bounded_amount_and_spills_outside_the_working_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    limit, spill = Engine().rows("SELECT current_setting('memory_limit'), current_setting('temp_directory')")[0]
    assert limit == "3.0 GiB" and "attrition-spill-" in spill and not spill.startswith(str(tmp_path))
    monkeypatch.setenv("ATTRITION_MEMORY", "1GB")
    assert Engine().rows("SELECT current_setting('memory_limit')")[0][0] == "953.6 MiB"
