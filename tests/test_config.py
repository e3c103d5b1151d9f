"""dataset.toml and the importers' mapping files: every bad setting is a located exit 2 before anything is written.

Each case here ended in the catch-all "unexpected ... please report this", passed `validate` and broke
`report` later, or let a name climb out of its folder, before issue 25.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FILES, write_dataset

from attrition.cli import main
from attrition.locations import NOTEBOOK_DIR, REPO_ROOT

BASE = FILES["dataset.toml"]
EXAMPLE = """
[[report.examples]]
name = "{name}"
title = "Another roster"
export = "{export}"
mapping = "roster/mapping.toml"
companies = {companies}
"""

CASES = {
    "a date-time as the freeze date": (
        '[dataset]\nfreeze_date = 2025-12-31T10:00:00\n', 2, "freeze_date", "must be an ISO date"),
    "[wording] as a string": ('wording = "staff"\n' + BASE, 1, "wording", "needs a [wording] table"),
    "a word with markup": (BASE + '[wording]\ncompany = "<img src=x onerror=alert(1)>"\n', 4, "wording.company",
                           "a noun in quotes"),
    "a word with a link": (BASE + '[wording]\nhire = "[x](javascript:alert(1))"\n', 4, "wording.hire", "a noun in quotes"),
    "an unknown word": (BASE + '[wording]\nstaff = "staff"\n', 4, "wording.staff", "unknown key"),
    "[report] as a number": ('report = 5\n' + BASE, 1, "report", "needs a [report] table"),
    "story as text": (BASE + '[report]\nstory = "yes"\n', 4, "report.story", "true or false"),
    "headline claims as text": (BASE + '[report]\nheadline_claims = "c1"\n', 4, "report.headline_claims",
                                "list of claim ids"),
    "a date that is not one": (BASE + '[report]\nfounder_claims_since = "soon"\n', 4,
                               "report.founder_claims_since", "ISO date"),
    "a script address for the site": (BASE + '[report]\nsite_url = "javascript:alert(1)"\n', 4, "report.site_url",
                                      "https://"),
    "examples as text": (BASE + '[report]\nexamples = "judges"\n', 4, "report.examples", "[[report.examples]]"),
    "an example name that climbs out": (BASE + EXAMPLE.format(name="../../x", export="roster/export.csv",
                                                              companies='["acme-ltd"]'), 5, "report.examples[1].name",
                                        "must be a slug"),
    "an export outside the data folder": (BASE + EXAMPLE.format(name="x", export="../export.csv",
                                                                companies='["acme-ltd"]'), 7,
                                          "report.examples[1].export", "inside the data folder"),
    "an absolute export": (BASE + EXAMPLE.format(name="x", export="/etc/passwd", companies='["acme-ltd"]'), 7,
                           "report.examples[1].export", "inside the data folder"),
    "companies that are not ids": (BASE + EXAMPLE.format(name="x", export="roster/export.csv",
                                                         companies='["../y"]'), 9, "report.examples[1].companies",
                                   "company ids"),
    "an example without its export": (BASE + EXAMPLE.format(name="x", export="roster/none.csv",
                                                            companies='["acme-ltd"]'), 7,
                                      "report.examples[1].export", "no such file"),
}


def _data(tmp_path: Path, toml: str) -> Path:
    folder = write_dataset(tmp_path / "data", dataset_toml=toml)
    (folder / "roster").mkdir()
    (folder / "roster" / "export.csv").write_text("id,start,end\na,2020-01-01,\n")
    (folder / "roster" / "mapping.toml").write_text('[roster]\nperson_column = "id"\ncompany = "Acme Ltd"\n'
                                                     'start_column = "start"\nend_column = "end"\n'
                                                     'observed_until = "2021-01-01"\n')
    return folder


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_bad_setting_is_located_and_stops_validate_and_report(tmp_path, capsys, case) -> None:
    toml, line, key, words = CASES[case]
    folder = _data(tmp_path, toml)
    for command in (["validate"], ["report", "--out", str(tmp_path / "site")]):
        assert main([*command, "--data", str(folder)]) == 2
        err = capsys.readouterr().err
        assert f"error: dataset.toml:{line}: column {key!r}" in err and words in err, err
        assert "unexpected" not in err
    assert not (tmp_path / "site").exists() and not (tmp_path / "x").exists()


def test_a_renamed_company_or_person_the_story_names_stops_validate(tmp_path, capsys) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "data", data, ignore=shutil.ignore_patterns("aiwatch"))
    for name in ("people.csv", "evidence.csv", "moves.csv", "claims.csv", "corrections.csv"):
        text = re.sub(r"(?<![a-z0-9-])tony-wu(?![a-z0-9-])", "yuhuai-wu", (data / name).read_text(encoding="utf-8"))
        (data / name).write_text(text, encoding="utf-8")
    assert main(["validate", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"dataset.toml:\d+: column 'report.story': value 'true': the story notebooks need person_id "
                     r"'tony-wu'", err), err


def test_the_story_needs_name_every_id_the_story_notebooks_use() -> None:
    """STORY_NEEDS is what validate checks for a story dataset: it must list every id the notebooks' code names."""
    from attrition import load
    from attrition.io.config import STORY_NEEDS

    ds = load()
    listed = {i for _, *ids in STORY_NEEDS.values() for i in ids}
    known = {v for table, column in (("people", "person_id"), ("people", "company"), ("claims", "claim_id"),
                                     ("milestones", "milestone_id"), ("sources", "source_id"), ("counts", "count_id"))
             for (v,) in ds.engine.rows(f"SELECT DISTINCT {column} FROM {table}")}
    named = set()
    for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                named |= set(re.findall(r"""["']([a-z0-9][a-z0-9-]*)["']""", "".join(cell["source"]))) & known
    assert named <= listed, f"named by the story notebooks but not in STORY_NEEDS: {sorted(named - listed)}"


def test_mathtext_in_a_name_is_drawn_as_written(tmp_path) -> None:
    """matplotlib reads `$...$` as mathtext: a name like this one stopped the report at a chart's cell."""
    from attrition import load
    from attrition.site import figures

    people = FILES["people.csv"].replace("Alice A", r"Alice $\foo$ A").replace("Bob B", "Bob $5 and $6")
    ds = load(write_dataset(tmp_path / "data", people_csv=people))
    from attrition.findings import people as people_findings

    chart = figures.tenure_bars(ds, "acme", ("founder",), people_findings.departed(ds, "acme", "founder"))
    assert chart.png()[:8] == b"\x89PNG\r\n\x1a\n" and chart.png(narrow=True)


MAPPING_CASES = {
    "a date-time as the export date": ('observed_until = 2021-01-01T00:00:00', "observed_until", "ISO date"),
    "a number where a column is named": ('group_column = 5', "group_column", "text in quotes"),
    "a table where a column is named": ('group_column = {a = 1}', "group_column", "text in quotes"),
    "a title with a control character": ('source_title = "HR\\u001b[2J"', "source_title", "control characters"),
    "an unknown key": ('colour = "red"', "colour", "unknown key"),
    "a blank title": ('source_title = " "', "source_title", "must not be empty"),
}


@pytest.mark.parametrize("case", sorted(MAPPING_CASES))
def test_every_bad_mapping_setting_is_located(tmp_path, capsys, case) -> None:
    line, key, words = MAPPING_CASES[case]
    (tmp_path / "export.csv").write_text("id,start,end\na,2020-01-01,\n")
    mapping = ('[roster]\nperson_column = "id"\ncompany = "Acme Ltd"\nstart_column = "start"\nend_column = "end"\n'
               'observed_until = "2021-01-01"\n')
    mapping = "\n".join(m for m in mapping.splitlines() if not m.startswith(key)) + "\n" + line + "\n"
    (tmp_path / "mapping.toml").write_text(mapping)
    assert main(["import", "roster", str(tmp_path / "export.csv"), "--mapping", str(tmp_path / "mapping.toml"),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"error: mapping.toml:{len(mapping.splitlines())}: column {key!r}" in err and words in err, err
    assert not (tmp_path / "out").exists()


def test_an_example_company_the_roster_lacks_stops_report_before_any_notebook_runs(tmp_path, capsys) -> None:
    folder = _data(tmp_path, BASE + EXAMPLE.format(name="x", export="roster/export.csv", companies='["nobody"]'))
    assert main(["report", "--data", str(folder), "--out", str(tmp_path / "site")]) == 2
    captured = capsys.readouterr()
    assert "error: dataset.toml:9: column 'report.examples[1].companies': value 'nobody': no such company in the " \
           "imported roster; it has: acme-ltd" in captured.err
    assert "executing" not in captured.out and not (tmp_path / "site").exists()


def test_dataset_toml_chooses_the_engine_every_command_runs_on(tmp_path, monkeypatch) -> None:
    """`[engine] name = "spark"` hands the relational core to Spark, fed the checked tables from the cache. Spark is
    a stand-in here, so no Java runs: Spark's own run of this is in tests/test_spark.py (`make test-all`)."""
    import attrition
    from attrition.backends import spark
    from attrition.core import engines
    from attrition.io.dataset import load
    from attrition.schema import TABLES

    class StandIn:
        dialect = "spark"

        def __init__(self) -> None:
            self.loaded: dict[str, Path] = {}

        def load_parquet(self, name: str, path: Path) -> None:
            self.loaded[name] = Path(path)

    monkeypatch.setattr(spark, "SparkEngine", StandIn)
    folder = write_dataset(tmp_path / "data", dataset_toml=BASE + '\n[engine]\nname = "spark"\n')
    checked = load(folder)
    assert checked.engine.dialect == "duckdb"  # DuckDB reads and checks the files either way
    for ds in (engines.on_engine(checked), attrition.load(folder)):  # the commands' way and the package's own load
        assert isinstance(ds.engine, StandIn) and ds.fingerprint == checked.fingerprint
        assert set(ds.engine.loaded) == set(TABLES) and all(path.is_file() for path in ds.engine.loaded.values())
    assert engines.on_engine(checked, "duckdb") is checked  # --engine duckdb overrides the file
