"""`attrition import roster`: an export and its mapping in, a dataset every command accepts out.

The numbers are checked against lifelines fitted directly on the export; every refusal names the
export's (or the mapping's) own file, line and column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from attrition.cli import main
from attrition.dev.synthetic import HR_MAPPING, write_hr_export
from attrition.io.dataset import load
from attrition.io.importers.roster import import_roster
from attrition.io.outputs import OutputError
from attrition.measures.registry import compute
from attrition.schema import DataError

MAPPING = """[roster]
person_column = "id"
name_column = "name"
company = "Acme Ltd"
group_column = "team"
reason_column = "why"
start_column = "start"
end_column = "end"
observed_until_column = "seen"
observed_until = "2022-01-01"
"""
EXPORT = """id,name,team,start,end,why,seen
a,Ann,red,2020-01-01,2021-01-01,resigned,
b,Bea,red,2020-01-01,,,2020-07-01
c,Cy,blue,2020-01-01,NA,,
d,Di,blue,2020-01-01,2020-10-01,fired,
"""
"""Known answer: by 300 days of tenure, Di has left and Bea was last seen at 182 days, so
Kaplan-Meier says 1 of 3 at risk left (33.3%); counting Bea as staying to the export date it is 1 of 4."""


def _write(folder: Path, export: str = EXPORT, mapping: str = MAPPING, name: str = "export.csv") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(export, encoding="utf-8")
    (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    return folder / name, folder / "mapping.toml"


def _imported(tmp_path: Path, export: str = EXPORT, mapping: str = MAPPING) -> Path:
    source, mapping_path = _write(tmp_path / "in", export, mapping)
    import_roster(source, mapping_path, tmp_path / "out")
    return tmp_path / "out"


def _problems(tmp_path: Path, export: str = EXPORT, mapping: str = MAPPING) -> list[tuple]:
    source, mapping_path = _write(tmp_path / "in", export, mapping)
    with pytest.raises(DataError) as err:
        import_roster(source, mapping_path, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is written when the export is refused"
    return [(p.file, p.line, p.column, p.value, p.message) for p in err.value.problems]


def test_each_person_is_followed_to_their_own_last_observation(tmp_path) -> None:
    ds = load(_imported(tmp_path))
    assert ds.freeze_date.isoformat() == "2022-01-01"
    share = compute("share_departed_by_tenure", ds, company="acme-ltd", days=300)
    assert share.lo == share.hi == pytest.approx(1 / 3)
    assert compute("departed_count", ds, company="acme-ltd").hi == 2
    median = compute("median_tenure", ds, company="acme-ltd")
    assert median.lo == median.hi == 366  # Ann, after Di: at risk 2, S drops to 1/3
    # The freeze-date reading (everyone still there counted to the export date) gives 1 of 4 at 300 days.
    table = compute("median_tenure", ds, company="acme-ltd").details
    assert table["midpoint_followed_to_as_of"] == 366
    from attrition.measures.survival import sensitivity_table
    sens = sensitivity_table(ds, "acme-ltd").set_index("reading")
    assert sens.filter(like="followed to the as-of day", axis=0)["gone_by_1y_lo"].iloc[0] < 0.5


def test_groups_reasons_names_and_the_generated_files(tmp_path) -> None:
    out = _imported(tmp_path)
    ds = load(out)
    assert ds.company_names == {"acme-ltd": "Acme Ltd"}
    assert compute("departed_count", ds, company="acme-ltd", group="blue").hi == 1
    people = pd.read_csv(out / "people.csv", keep_default_na=False)
    assert people[["person_id", "name", "cohort"]].values.tolist() == [
        ["a", "Ann", "hire"], ["b", "Bea", "hire"], ["c", "Cy", "hire"], ["d", "Di", "hire"]]
    evidence = pd.read_csv(out / "evidence.csv", keep_default_na=False)
    joins = evidence[evidence.event == "join"]
    assert joins[["person_id", "group"]].values.tolist() == [["a", "red"], ["b", "red"], ["c", "blue"], ["d", "blue"]], \
        "each spell carries its own group"
    leave = evidence[(evidence.person_id == "d") & (evidence.event == "leave")].iloc[0]
    assert (leave.reason, leave.paraphrase) == ("fired", "export.csv line 5: end 2020-10-01")
    seen = evidence[evidence.event == "observed"].set_index("person_id")
    assert seen.loc["b", "earliest"] == "2020-07-01" and seen.loc["c", "earliest"] == "2022-01-01"
    source = pd.read_csv(out / "sources.csv", keep_default_na=False).iloc[0]
    assert (source.grade, source.published) == ("A", "2022-01-01") and "sha256" in source.note
    assert "[wording]" in (out / "dataset.toml").read_text()


def test_synthetic_hr_export_matches_lifelines_fitted_on_the_export(tmp_path) -> None:
    path = write_hr_export(tmp_path / "in" / "hr.csv", 3_000, n_companies=3, seed=7)
    export = pd.read_csv(path, keep_default_na=False, dtype=str)
    export = export.drop_duplicates("employee_id")  # first spells only: returns have their own rules
    export.to_csv(path, index=False)
    (tmp_path / "in" / "mapping.toml").write_text(HR_MAPPING)
    import_roster(path, tmp_path / "in" / "mapping.toml", tmp_path / "out")
    ds = load(tmp_path / "out")
    day = lambda column: pd.to_datetime(export[column], format="%d/%m/%Y", errors="coerce")
    freeze = pd.Timestamp(ds.freeze_date)
    end = day("left").fillna(day("last_seen")).fillna(freeze)
    export = export.assign(duration=(end - day("hired")).dt.days, left_=export["left"] != "")
    for company, rows in export.groupby("company"):
        slug = company.lower().replace(" ", "-")
        kmf = KaplanMeierFitter().fit(rows["duration"], rows["left_"])
        median = compute("median_tenure", ds, company=slug, cohort="hire")
        expected = kmf.median_survival_time_
        assert median.details["midpoint"] == (None if np.isinf(expected) else expected)
        for days in (365, 1000, 3000):
            share = compute("share_departed_by_tenure", ds, company=slug, cohort="hire", days=days)
            assert share.details["midpoint"] == pytest.approx(1 - kmf.survival_function_at_times(days).iloc[0])
        engineering = rows[rows["department"] == "engineering"]
        assert compute("departed_count", ds, company=slug, cohort="hire", group="engineering").hi == \
            engineering["left_"].sum()


def test_month_and_year_precision_keep_the_whole_period(tmp_path) -> None:
    mapping = MAPPING.replace('observed_until = "2022-01-01"', 'observed_until = "2021-12-15"\nprecision = "month"\n'
                                                                 'date_format = "%Y-%m"')
    export = "id,name,team,start,end,why,seen\na,Ann,red,2020-01,2021-12,,\nb,Bea,red,2020-02,,,2021-06\n"
    evidence = pd.read_csv(_imported(tmp_path, export, mapping) / "evidence.csv", keep_default_na=False)
    rows = {(r.person_id, r.event): (r.earliest, r.latest) for r in evidence.itertuples()}
    assert rows[("a", "join")] == ("2020-01-01", "2020-01-31")
    assert rows[("a", "leave")] == ("2021-12-01", "2021-12-15"), "cut at the export date"
    assert rows[("b", "observed")] == ("2021-06-01", "2021-06-30")
    year = MAPPING.replace('observed_until = "2022-01-01"', 'observed_until = "2022-01-01"\nprecision = "year"\n'
                                                             'date_format = "%Y"')
    export = "id,name,team,start,end,why,seen\na,Ann,red,2019,2020,,\n"
    evidence = pd.read_csv(_imported(tmp_path / "y", export, year) / "evidence.csv", keep_default_na=False)
    assert evidence[["earliest", "latest"]].values.tolist() == [["2019-01-01", "2019-12-31"], ["2020-01-01", "2020-12-31"]]


def test_repeated_spells_become_returns_and_ids_never_collide(tmp_path) -> None:
    export = ("id,name,team,start,end,why,seen\n"
              "Ann Lee,Ann,red,2020-01-01,2020-03-01,,\n"
              "ann-lee,Other Ann,red,2020-01-01,,,\n"
              "李明,Li,red,2020-01-01,,,\n"
              "Ann Lee,Ann,red,2021-01-01,,,\n")
    out = _imported(tmp_path, export)
    ds = load(out)
    people = ds.people.set_index("name")["person_id"]
    assert people["Ann"] != people["Other Ann"] and people["Ann"].startswith("ann-lee-")
    assert people["Li"].startswith("id-")
    events = ds.evidence[ds.evidence.person_id == people["Ann"]]
    assert events[["spell", "event"]].astype(str).values.tolist() == [["1", "join"], ["1", "leave"], ["2", "return"],
                                                                      ["2", "observed"]]
    again = tmp_path / "again"
    import_roster(tmp_path / "in" / "export.csv", tmp_path / "in" / "mapping.toml", again)
    assert all((out / f).read_bytes() == (again / f).read_bytes() for f in ("people.csv", "evidence.csv")), \
        "the same export gives the same bytes (sources.csv names the mapping, which is the same file)"


BAD_ROWS = {
    "a date in another format": (
        EXPORT.replace("2020-10-01", "01/10/2020"),
        ("export.csv", 5, "end", "01/10/2020", "is not a date written as %Y-%m-%d: set end_date_format (or date_format) "
                                               "in the mapping")),
    "a start after the export date": (
        EXPORT.replace("d,Di,blue,2020-01-01", "d,Di,blue,2023-01-01"),
        ("export.csv", 5, "start", "2023-01-01", "is after the export date (observed_until 2022-01-01)")),
    "an end before the start": (
        EXPORT.replace("2020-10-01", "2019-10-01"),
        ("export.csv", 5, "end", "2019-10-01", "is before the start date (2020-01-01)")),
    "no person": (
        EXPORT.replace("d,Di,", "NULL,Di,"),
        ("export.csv", 5, "id", None, "must not be empty: every row needs a person")),
    "no start": (
        EXPORT.replace("d,Di,blue,2020-01-01", "d,Di,blue,"),
        ("export.csv", 5, "start", None, "must not be empty: every spell needs a start date")),
    "a last sighting after the person left": (
        EXPORT.replace("2020-10-01,fired,", "2020-10-01,fired,2020-12-01"),
        ("export.csv", 5, "seen", "2020-12-01", "is after the end date (2020-10-01)")),
    "overlapping spells of one person": (
        EXPORT + "a,Ann,red,2020-06-01,2020-08-01,,\n",
        ("export.csv", 6, "start", "2020-06-01", "this spell starts while the one on line 2 has not ended")),
    "a spell after one still open": (
        EXPORT + "c,Cy,blue,2021-06-01,,,\n",
        ("export.csv", 6, "start", "2021-06-01", "line 4 has no end date (still there)")),
    "a control character": (
        EXPORT.replace("Bea", "B\x1bea"),
        ("export.csv", 3, "name", None, "control character (U+001B)")),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_bad_rows_are_refused_with_the_exports_own_line_and_column(tmp_path, case) -> None:
    export, (file, line, column, value, message) = BAD_ROWS[case]
    problems = _problems(tmp_path, export)
    assert any(p[:3] == (file, line, column) and (value is None or p[3] == value) and message in p[4]
               for p in problems), problems


def test_a_multi_line_field_keeps_line_numbers_right(tmp_path) -> None:
    export = EXPORT.replace("a,Ann,red", 'a,"Ann\nthe first",red')
    evidence = pd.read_csv(_imported(tmp_path, export) / "evidence.csv", keep_default_na=False)
    assert evidence[(evidence.person_id == "d") & (evidence.event == "leave")].paraphrase.iloc[0] == \
        "export.csv line 6: end 2020-10-01"
    problems = _problems(tmp_path / "bad", export.replace("2020-10-01", "2020-13-01"))
    assert problems[0][:3] == ("export.csv", 6, "end")


BAD_MAPPINGS = {
    "an unknown key": (MAPPING + 'start_colum = "start"\n', (11, "start_colum",
                                                              "unknown key (did you mean start_column?); the keys are")),
    "a missing key": (MAPPING.replace('end_column = "end"\n', ""), (None, "end_column", "missing:")),
    "both company keys": (MAPPING + 'company_column = "team"\n', (4, "company", "give exactly one of company")),
    "a bad precision": (MAPPING + 'precision = "week"\n', (11, "precision", "must be day, month, year or fiscal_year")),
    "a bad export date": (MAPPING.replace("2022-01-01", "2022-13-01"), (10, "observed_until", "must be an ISO date")),
    "not TOML": ("[roster\n", (1, None, "is not valid TOML")),
    "no roster table": ('[other]\nx = "y"\n', (None, "roster", "needs a [roster] table")),
}


@pytest.mark.parametrize("case", BAD_MAPPINGS)
def test_bad_mappings_are_refused_with_the_mapping_files_line_and_key(tmp_path, case) -> None:
    mapping, (line, key, message) = BAD_MAPPINGS[case]
    problems = _problems(tmp_path, mapping=mapping)
    assert any(p[0] == "mapping.toml" and p[1] == line and p[2] == key and message in p[4] for p in problems), problems


def test_a_mapped_column_missing_from_the_export_is_named(tmp_path) -> None:
    problems = _problems(tmp_path, mapping=MAPPING.replace('group_column = "team"', 'group_column = "department"'))
    assert problems == [("export.csv", 1, "department", None,
                         "the mapping's group_column names this column, but the header has no such column "
                         "(it has: id, name, team, start, end, why, seen)")]


def test_the_output_never_replaces_the_inputs_or_a_foreign_folder(tmp_path) -> None:
    source, mapping = _write(tmp_path / "in")
    for out in (tmp_path / "in", tmp_path):
        with pytest.raises(OutputError, match="refusing to write here|not made by attrition"):
            import_roster(source, mapping, out)
    assert source.read_text() == EXPORT
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(OutputError, match="not made by attrition"):
        import_roster(source, mapping, foreign)
    import_roster(source, mapping, tmp_path / "out")
    import_roster(source, mapping, tmp_path / "out")  # its own folder is replaced whole
    assert sorted(p.name for p in (tmp_path / "out").iterdir())[:2] == [".attrition-output", "companies.csv"]


def test_the_command_line_import_and_its_errors(tmp_path, capsys) -> None:
    source, mapping = _write(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["import", "roster", str(source), "--mapping", str(mapping), "--out", str(out)]) == 0
    assert "4 employees at 1 company, 4 spells (2 still there)" in capsys.readouterr().out
    assert main(["validate", "--data", str(out)]) == 0
    _write(tmp_path / "bad", EXPORT.replace("2020-10-01", "2020-10-41"))
    assert main(["import", "roster", str(tmp_path / "bad" / "export.csv"), "--mapping", str(mapping),
                 "--out", str(tmp_path / "out2")]) == 2
    err = capsys.readouterr().err
    assert "error: export.csv:5: column 'end': value '2020-10-41': is not a date written as %Y-%m-%d" in err
    assert main(["import", "roster", str(tmp_path / "missing.csv"), "--mapping", str(mapping),
                 "--out", str(tmp_path / "out3")]) == 2
    assert "missing.csv: file not found" in capsys.readouterr().err


def test_imported_numbers_do_not_depend_on_row_order(tmp_path) -> None:
    path = write_hr_export(tmp_path / "a" / "hr.csv", 500, seed=3)
    (tmp_path / "a" / "mapping.toml").write_text(HR_MAPPING)
    shuffled = pd.read_csv(path, dtype=str, keep_default_na=False).sample(frac=1, random_state=np.random.RandomState(1))
    (tmp_path / "b").mkdir()
    shuffled.to_csv(tmp_path / "b" / "hr.csv", index=False)
    (tmp_path / "b" / "mapping.toml").write_text(HR_MAPPING)
    results = []
    for side in ("a", "b"):
        import_roster(tmp_path / side / "hr.csv", tmp_path / side / "mapping.toml", tmp_path / f"out-{side}")
        ds = load(tmp_path / f"out-{side}")
        results.append(compute("median_tenure", ds, company="company-0001", cohort="hire").to_dict())
    assert results[0] == results[1]


def test_every_command_works_on_an_imported_roster_without_founders(tmp_path, capsys) -> None:
    out = _imported(tmp_path)
    data = ["--data", str(out)]
    for command in (["validate"], ["build", "--out", str(tmp_path / "built")], ["claims"],
                    ["metric", "compare_labs", "--cohort", "hire"], ["metric", "median_tenure", "--company", "acme-ltd"],
                    ["metric", "headcount", "--company", "acme-ltd"], ["metric", "departures_between", "--company",
                                                                        "acme-ltd", "--start", "2020-01-01",
                                                                        "--end", "2021-12-31"]):
        assert main([*command, *data]) == 0, (command, capsys.readouterr().err)
    assert main(["metric", "compare_labs", *data]) == 2
    assert "no company has anyone in the cohort 'founder' to compare" in capsys.readouterr().err
    assert (tmp_path / "built" / "spells.csv").read_text().count("\n") == 5
