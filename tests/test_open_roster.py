"""The open roster (AI Watch): reading its SQL, merging positions into spells, importing, and the
comparison with published figures; plus per-row date precision in the roster importer it relies on."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from attrition import load
from attrition.claims import open_data
from attrition.core import roster
from attrition.io.importers import aiwatch
from attrition.io.importers.roster import import_roster
from attrition.schema import DataError
from attrition.site import figures

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "aiwatch"
SIGNALFIRE = "fortune-2025-06-03-signalfire"
HEADER = ("insert into positions(person, organization, title, start_date, start_date_precision, end_date, "
          "end_date_precision, urls) values")


def _snapshot(folder: Path, lines: list[str], date: str = "2026-04-30") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "snapshot.toml").write_text(f'[snapshot]\ncommit = "abc1234"\ndate = "{date}"\nurl = "https://example.org"\n')
    (folder / "lab.sql").write_text("\n".join([HEADER, *lines]) + "\n;\n", encoding="utf-8")
    return folder


def test_the_shipped_snapshot_reads_whole() -> None:
    snapshot = aiwatch.read_snapshot(SHIPPED)
    positions = aiwatch.read_positions(SHIPPED, snapshot["date"])
    assert len(positions) == 848
    assert positions.groupby("organization").size().to_dict() == {
        "Anthropic": 187, "Google DeepMind": 134, "OpenAI": 486, "Thinking Machines": 41}
    assert positions["reviewed"].notna().sum() == 285
    assert set(positions["start_date_precision"].dropna()) == {"day", "month", "year", "multi-year"}


def test_overlapping_and_touching_positions_make_one_spell_and_a_gap_makes_two(tmp_path) -> None:
    folder = _snapshot(tmp_path / "aw", [
        "    ('Ann','Lab','Engineer','2020-01-01','month','2021-03-01','month','u')",
        "    ,('Ann','Lab','Lead','2021-03-01','month',NULL,NULL,'u') /*Reviewed on 2024-05-02*/",
        "    ,('Ann','Lab','Advisor','2022-01-01','year','2022-06-01','month','u')",
        "    ,('Bob','Lab','Engineer','2019-06-01','month','2020-01-01','month','u')",
        "    /*,('Zed','Lab','Commented out','2019-06-01','month',NULL,NULL,'u')*/",
        "    ,('Bob','Lab','Engineer','2020-09-01','month',NULL,NULL,'u')",
    ])
    table = aiwatch.spells(aiwatch.read_positions(folder, "2026-04-30"))
    ann = table[table["person"] == "Ann"]
    assert ann[["spell", "start_date", "end_date", "last_observed", "positions"]].values.tolist() == [
        [1, "2020-01-01", None, "2024-05-02", 3]]
    bob = table[table["person"] == "Bob"]
    assert bob[["spell", "start_date", "end_date", "last_observed"]].values.tolist() == [
        [1, "2019-06-01", "2020-01-01", None], [2, "2020-09-01", None, "2020-09-01"]]


def test_a_date_without_precision_reads_as_loosely_as_it_is_written(tmp_path) -> None:
    folder = _snapshot(tmp_path / "aw", [
        "    ('Ann','Lab','x','2019-01-01',NULL,'2023-11-22',NULL,'u')",
        "    ,('Bob','Lab','x','2019-03-01',NULL,NULL,NULL,'u')",
    ])
    positions = aiwatch.read_positions(folder, "2026-04-30")
    assert positions["start_date_precision"].tolist() == ["year", "month"]
    assert positions["end_date_precision"].tolist()[0] == "day"


@pytest.mark.parametrize("line, column, message", [
    ("    ('Ann','Lab','x','2020-13-01','month',NULL,NULL,'u')", "start_date", "not a date"),
    ("    ('Ann','Lab','x','2020-01-01','fortnight',NULL,NULL,'u')", "start_date_precision", "must be one of"),
    ("    ('Ann','Lab','x','2020-05-01','month','2019-01-01','month','u')", "end_date", "before the start"),
    ("    ('Ann','Lab','x','2027-01-01','month',NULL,NULL,'u')", "start_date", "after the snapshot"),
    ("    ('Ann','Lab','x','2020-01-01','month',NULL,'u')", None, "has 7 values"),
    ("    this is not SQL", None, "not a header"),
])
def test_bad_positions_are_located_by_file_line_and_column(tmp_path, line, column, message) -> None:
    folder = _snapshot(tmp_path / "aw", ["    ('Bob','Lab','x','2020-01-01','month',NULL,NULL,'u')", line])
    with pytest.raises(DataError) as caught:
        aiwatch.read_positions(folder, "2026-04-30")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == ("lab.sql", 3, column)
    assert message in problem.message


def test_a_folder_without_sql_or_snapshot_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(DataError, match="no .sql files"):
        aiwatch.read_positions(tmp_path, "2026-04-30")
    with pytest.raises(DataError, match="snapshot.toml: file not found"):
        aiwatch.read_snapshot(tmp_path)


def test_the_import_writes_a_dataset_every_command_accepts(tmp_path) -> None:
    folder = _snapshot(tmp_path / "aw", [
        "    ('Ann','Lab A','x','2020-01-01','month','2021-06-01','month','u')",
        "    ,('Ann','Lab B','x','2021-07-01','month',NULL,NULL,'u') /*Reviewed on 2024-05-02*/",
    ])
    counts = aiwatch.import_aiwatch(folder, tmp_path / "out")
    assert counts == {"spells": 2, "people": 1, "companies": 2, "still_there": 1,
                      "words": {"person": "person", "people": "people", "company": "lab", "companies": "labs"}}
    ds = load(tmp_path / "out")
    assert str(ds.freeze_date) == "2026-04-30"
    evidence = ds.evidence.set_index(["company", "event"])
    # month precision per row: June 2021 is the whole month; the review is the last observation
    assert evidence.loc[("lab-a", "leave"), ["earliest", "latest"]].astype(str).tolist() == ["2021-06-01", "2021-06-30"]
    assert evidence.loc[("lab-b", "observed"), "earliest"].date().isoformat() == "2024-05-02"
    assert roster.moves_between(ds).values.tolist() == [["lab-a", "lab-b", 1, 0]]


def test_the_importer_reads_each_rows_precision_and_locates_a_bad_one(tmp_path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("id,start,start_p,end,end_p\na,2020-01-01,year,2021-03-01,month\nb,2020-02-01,,,\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text(textwrap.dedent("""\
        [roster]
        person_column = "id"
        start_column = "start"
        start_precision_column = "start_p"
        end_column = "end"
        end_precision_column = "end_p"
        company = "Co"
        observed_until = "2024-01-01"
        """))
    import_roster(export, mapping, tmp_path / "out")
    evidence = load(tmp_path / "out").evidence.set_index(["person_id", "event"])
    span = lambda key: evidence.loc[key, ["earliest", "latest"]].astype(str).tolist()
    assert span(("a", "join")) == ["2020-01-01", "2020-12-31"]
    assert span(("a", "leave")) == ["2021-03-01", "2021-03-31"]
    assert span(("b", "join")) == ["2020-02-01", "2020-02-01"]  # empty: the mapping's precision (day)
    export.write_text("id,start,start_p,end,end_p\na,2020-01-01,decade,,\n")
    with pytest.raises(DataError) as caught:
        import_roster(export, mapping, tmp_path / "out2")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column, problem.value) == ("export.csv", 2, "start_p", "decade")


@pytest.fixture(scope="module")
def both():
    ds = load()
    return ds, aiwatch.open_roster(ds.data_dir / "aiwatch")


def test_every_published_figure_is_set_beside_the_open_measurement(both) -> None:
    ds, open_ds = both
    table = open_data.published_against_open(ds, open_ds, SIGNALFIRE).set_index("claim_id")
    claims = ds.claims.set_index("claim_id")
    assert len(table) == (ds.claims["source_id"] == SIGNALFIRE).sum() == 5
    for claim_id, row in table.iterrows():
        assert row["published"] == float(claims.loc[claim_id, "reported"])
    retention = open_data.retention(open_ds).set_index(["company", "censoring"])
    openai = table.loc["signalfire-2025-retention-openai"]
    assert openai["retained_observed"] == retention.loc[("openai", "observed"), "retained"]
    assert openai["ci_lower_observed"] < openai["retained_observed"] < openai["ci_upper_observed"]
    # people still listed count as there until the copy's date under `freeze`: never lower retention
    both_rules = retention["retained"].unstack("censoring").dropna()
    assert (both_rules["freeze"] >= both_rules["observed"] - 1e-12).all()


def test_a_move_ratio_with_none_back_is_only_bounded_below(both) -> None:
    _, open_ds = both
    moves = roster.moves_between(open_ds).set_index(["company", "to_company"])
    ratio = open_data.move_ratio(open_ds, "openai", "anthropic")
    assert ratio["there"] == moves.loc[("openai", "anthropic"), "people"] > 0
    assert ratio["back"] == 0 and math.isinf(ratio["ci_upper"])
    # exact: with k moves there and none back, the lower bound is p/(1-p) for p = 0.025 ** (1 / k)
    p = 0.025 ** (1 / ratio["there"])
    assert ratio["ci_lower"] == pytest.approx(p / (1 - p))


def test_the_retention_chart_draws_the_published_values_and_counts_them_right(both) -> None:
    ds, open_ds = both
    chart = figures.open_retention_chart(ds, open_ds, SIGNALFIRE)
    fig = chart.figure()
    try:
        ax = fig.axes[0]
        diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"][0]
        assert sorted(diamonds.get_xdata()) == sorted(chart.data["published"])
        low = chart.data[["ci_lower_observed", "ci_lower_freeze"]].min(axis=1)
        high = chart.data[["ci_upper_observed", "ci_upper_freeze"]].max(axis=1)
        inside = int(((chart.data["published"] >= low) & (chart.data["published"] <= high)).sum())
        assert f"for {inside} of {len(chart.data)} labs" in chart.title
        assert ax.get_xlim() == (0.0, 1.0)
    finally:
        fig.clf()


def test_the_hires_chart_draws_every_month_counted(both) -> None:
    _, open_ds = both
    chart = figures.open_hires_chart(open_ds)
    fig = chart.figure()
    try:
        drawn = [sum(patch.get_data().values.sum() for patch in ax.patches) for ax in fig.axes]
        expected = chart.data.groupby("company", sort=False)["hires"].sum().tolist()
        assert drawn == expected
        listed = open_ds.people.groupby("company")["person_id"].nunique()
        assert f"lists {listed.sum():,} people at {len(listed)} labs" in chart.title
        assert f"{open_ds.company_names[listed.idxmax()]} ({listed.max():,})" in chart.title
    finally:
        fig.clf()


def test_hires_per_month_counts_each_first_join_dated_to_its_month(both) -> None:
    _, open_ds = both
    frame = open_data.hires_per_month(open_ds)
    spells = roster.spells(open_ds)
    first = spells[spells["spell"] == 1]
    placed = first["start_lo"].dt.to_period("M") == first["start_hi"].dt.to_period("M")
    assert frame.groupby("company")["hires"].sum().to_dict() == first[placed].groupby("company").size().to_dict()
    assert (frame.groupby("company")["unplaced"].first() == (~placed).groupby(first["company"]).sum()).all()
    assert not frame.duplicated(["company", "month"]).any()
    assert isinstance(frame["month"].iloc[0], pd.Timestamp)


def test_the_import_never_writes_into_the_data_folder_or_its_own_input(tmp_path) -> None:
    from attrition.io.outputs import OutputError

    for out in (SHIPPED.parent / "imported", SHIPPED / "imported", SHIPPED):
        with pytest.raises(OutputError, match="refusing to write here"):
            aiwatch.import_aiwatch(SHIPPED, out)
        assert not (SHIPPED.parent / "imported").exists()


@pytest.mark.parametrize("lines, line, message", [
    (["    ('Ann','Lab','x','2020-01-01','month',NULL,NULL,'u' || 'v')"], 2, "not a list of SQL values"),
    (["    ('Ann','Lab','x','2020-01-01','month',NULL,NULL,'u)"], 2, "not a list of SQL values"),
    (["    (Ann Lee,'Lab','x','2020-01-01','month',NULL,NULL,'u')"], 2, "not a list of SQL values"),
    (["    /* an unclosed comment"], 2, "not a header, a comment or a position tuple"),
], ids=["an expression", "an unclosed quote", "text without quotes", "an unclosed comment"])
def test_ai_watch_input_is_parsed_strictly(tmp_path, lines, line, message) -> None:
    folder = _snapshot(tmp_path / "aw", [*lines, "    ,('Bob','Lab','x','2020-01-01','month',NULL,NULL,'u')"])
    with pytest.raises(DataError) as caught:
        aiwatch.read_positions(folder, "2026-04-30")
    assert [(p.file, p.line) for p in caught.value.problems] == [("lab.sql", line)]
    assert message in caught.value.problems[0].message


def test_a_sql_file_without_positions_or_a_bad_snapshot_is_refused(tmp_path) -> None:
    folder = _snapshot(tmp_path / "aw", ["    ('Bob','Lab','x','2020-01-01','month',NULL,NULL,'u')"])
    (folder / "notes.sql").write_text("-- nothing here\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="notes.sql: holds no position"):
        aiwatch.read_positions(folder, "2026-04-30")
    (folder / "snapshot.toml").write_text('[snapshot]\ncommit = "abc1234"\ndate = "yesterday"\nurl = "javascript:x"\n')
    with pytest.raises(DataError) as caught:
        aiwatch.read_snapshot(folder)
    assert [p.column for p in caught.value.problems] == ["date", "url"]
