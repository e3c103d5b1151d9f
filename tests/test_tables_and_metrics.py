"""Known answers on the synthetic roster of conftest.py, counted by hand."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pandas as pd
import pytest

from attrition import conflicts, events, hires, load, spells
from attrition.cli import WITHOUT_PANDAS, main
from attrition.core.roster import headcount, milestones
from attrition.core import relations
from attrition.core.scope import Scope
from attrition.core.tables import day_spells, events_table, prepare_days
from attrition.days import day_number
from attrition.io.dataset import check_folder
from attrition.locations import DEFAULT_DATA_DIR
from attrition.measures.metrics import (
    departed_share,
    departures_between,
    remaining_count,
)
from attrition.measures.registry import KINDS, METRICS, compute
from attrition.result import MetricError

D = pd.Timestamp


def test_agreeing_sources_intersect_and_disagreeing_ones_keep_the_hull(ds) -> None:
    ev = events(ds).set_index(["person_id", "spell", "event"])
    carol = ev.loc[("carol", 1, "leave")]
    assert (carol.earliest, carol.latest, carol.conflict, carol.source_ids) == (D("2023-02-01"), D("2023-05-31"), True, "s2;s3")
    assert not ev.loc[("bob", 1, "leave")].conflict
    table = conflicts(ds)
    assert list(table["source_id"]) == ["s2", "s3"]
    assert set(table["person_id"]) == {"carol"}


def test_milestone_versions_are_resolved_like_events(ds) -> None:
    founded = milestones(ds).set_index("milestone_id").loc["founded"]
    assert (founded.earliest, founded.latest, founded.conflict) == (D("2019-11-01"), D("2020-01-01"), True)


def test_spell_status_follows_the_as_of_date(ds) -> None:
    table = spells(ds, Scope.of(ds, as_of="2023-03-15")).set_index(["person_id", "spell"])
    assert table.loc[("alice", 1), "status"] == "departed"
    assert table.loc[("carol", 1), "status"] == "uncertain"  # Feb or May 2023
    assert table.loc[("dan", 1), "status"] == "active"  # steps back in 2024
    assert table.loc[("frank", 2), "status"] == "active"
    assert (table.loc[("bob", 1), "tenure_lo_days"], table.loc[("bob", 1), "tenure_hi_days"]) == (790, 820)
    # Erin joined some day in Feb 2021: censored at the as-of date with both bounds.
    assert (table.loc[("erin", 1), "tenure_lo_days"], table.loc[("erin", 1), "tenure_hi_days"]) == (745, 772)


def test_step_back_counts_as_leaving_but_keeps_its_name(ds) -> None:
    dan = spells(ds).set_index("person_id").loc["dan"]
    assert (dan.status, dan.end_event) == ("departed", "step_back")


def test_people_not_yet_joined_are_not_counted_and_straddling_joins_are_uncertain(ds) -> None:
    assert "erin" not in set(spells(ds, Scope.of(ds, as_of="2021-01-31"))["person_id"])
    erin = spells(ds, Scope.of(ds, as_of="2021-02-10")).set_index("person_id").loc["erin"]
    assert erin.joined == "uncertain"
    result = remaining_count(ds, "acme", "hire", as_of="2021-02-10")
    assert (result.lo, result.hi) == (0, 1)


def test_departed_share_is_a_range_where_a_date_straddles_the_as_of_day(ds) -> None:
    result = departed_share(ds, "acme", "founder", as_of="2023-03-15")
    assert (result.lo, result.hi) == (0.5, 0.75)
    assert result.numerator == {"lo": 2, "hi": 3} and result.denominator == {"lo": 4, "hi": 4}
    assert result.person_ids["departed"] == ["alice", "bob"] and result.person_ids["uncertain"] == ["carol"]
    assert result.text == "2 to 3 of 4 founders departed (50.0% to 75.0%) as of 2023-03-15"


def test_exclude_changes_the_denominator(ds) -> None:
    result = departed_share(ds, "acme", "founder", as_of="2025-01-01", exclude=["alice"])
    assert (result.lo, result.hi, result.denominator) == (1.0, 1.0, {"lo": 3, "hi": 3})
    assert result.excluded == ["alice"]


def test_departed_share_defaults_to_the_freeze_date(ds) -> None:
    result = departed_share(ds, "acme", "founder")
    assert result.as_of == "2025-12-31" and (result.lo, result.hi) == (1.0, 1.0)


def test_a_returning_person_is_counted_once_by_their_latest_spell(ds) -> None:
    on_return = remaining_count(ds, "acme", "hire", as_of="2023-06-01")
    assert (on_return.lo, on_return.hi) == (2, 2)  # erin and frank's second spell
    gone_again = remaining_count(ds, "acme", "hire", as_of="2024-06-01")
    assert (gone_again.lo, gone_again.hi) == (1, 2)  # frank left some time in 2024


def test_departures_between_counts_each_spell_end_in_the_window(ds) -> None:
    result = departures_between(ds, "acme", start="2022-01-01", end="2023-03-31")
    assert (result.lo, result.hi) == (2, 3)
    assert result.person_ids == {"departed": ["bob", "frank"], "uncertain": ["carol"]}
    assert result.window == {"start": "2022-01-01", "end": "2023-03-31"}


def test_headcount_series_counts_the_named_roster(ds) -> None:
    series = headcount(ds, "acme", freq="YS").set_index("date")
    assert series.loc[D("2022-01-01")].tolist() == [5, 5]
    assert series.loc[D("2024-01-01")].tolist() == [2, 3]
    assert compute("headcount", ds, company="acme", as_of="2022-01-01").lo == 5


def test_hires_are_everyone_after_the_founding_team(ds) -> None:
    assert sorted(hires(ds, "acme")["person_id"].unique()) == ["erin", "frank"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"company": "nope"}, "unknown company 'nope'; the data has: acme"),
        ({"company": "acme", "exclude": ["zed"]}, "--exclude names no one at acme: zed"),
        ({"company": "acme", "as_of": "2019-01-01"}, "no people of acme had joined by 2019-01-01"),
    ],
)
def test_metric_errors_say_what_to_do(ds, params, message) -> None:
    with pytest.raises(MetricError, match=message):
        compute("departed_share", ds, **params)


@pytest.mark.parametrize("metric", ["departed_share", "median_tenure", "interval_median", "share_departed_by_tenure"])
def test_a_scope_emptied_by_the_people_left_out_says_so(ds, metric) -> None:
    """The people left out are why no one is in the scope: the message names them, not only the company."""
    with pytest.raises(MetricError, match=r"no hires of acme had joined by 2025-12-31 \(leaving out erin, frank\)"):
        compute(metric, ds, company="acme", cohort="hire", exclude=["erin", "frank"], **(
            {"days": 365} if metric == "share_departed_by_tenure" else {}))


def test_an_empty_scope_names_its_group_and_the_people_left_out() -> None:
    from datetime import date

    from attrition.core.scope import Scope
    from attrition.schema import day_number

    day = day_number(date(2024, 1, 1))
    assert Scope(day, "acme", "hire").nobody() == "no hires of acme had joined by 2024-01-01"
    assert Scope(day, "acme", "hire", group="Research", exclude=("erin", "frank")).nobody() == (
        "no hires of acme in group Research had joined by 2024-01-01 (leaving out erin, frank)")
    assert Scope(day, "acme", "hire").on(day - 1).nobody().endswith("had joined by 2023-12-31")


def test_a_count_of_one_says_one_founder_not_one_founders(ds) -> None:
    from attrition.text import cohort_noun

    assert compute("departed_count", ds, company="acme", cohort="founder", as_of="2021-06-01").text == (
        "1 founder departed as of 2021-06-01 (of 4 counted)")
    assert [cohort_noun("hire", *count) for count in ((1, 1), (0, 1), (1, 2), (0, 0))] == ["hire", "hires", "hires", "hires"]
    assert (cohort_noun(None, 1), cohort_noun(None, 2)) == ("person", "people")


def test_missing_metric_parameters_are_named(ds) -> None:
    with pytest.raises(MetricError, match="needs --start and --end"):
        compute("departures_between", ds, company="acme")


def test_cli_json_carries_bounds_and_people(data_dir, capsys) -> None:
    code = main(["metric", "departed_share", "--data", str(data_dir), "--company", "acme", "--cohort", "founder",
                 "--as-of", "2023-03-15", "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (payload["lo"], payload["hi"], payload["as_of"]) == (0.5, 0.75, "2023-03-15")
    assert payload["person_ids"]["counted"] == ["alice", "bob", "carol", "dan"]


def test_cli_metric_error_exits_2(data_dir, capsys) -> None:
    assert main(["metric", "departed_share", "--data", str(data_dir), "--company", "nope"]) == 2
    assert "unknown company" in capsys.readouterr().err


def test_validate_prints_a_summary(data_dir, capsys) -> None:
    assert main(["validate", "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "clean. 4 sources, 6 people at 1 company, 18 evidence rows (1 event with conflicting sources)" in out
    assert "0 claims; freeze date 2025-12-31." in out


def test_every_metric_declares_exactly_its_functions_parameters() -> None:
    for m in METRICS.values():
        params = [p for p in inspect.signature(m.function).parameters.values() if p.name != "ds"]
        assert m.required == tuple(p.name for p in params if p.default is inspect.Parameter.empty), m.name
        assert m.optional == tuple(p.name for p in params if p.default is not inspect.Parameter.empty), m.name
        assert set(m.parameters) <= set(KINDS), f"{m.name}: a parameter without a declared kind"


@pytest.mark.parametrize("command", WITHOUT_PANDAS)
def test_checking_building_and_the_ledger_never_load_pandas(data_dir, tmp_path, command) -> None:
    """None needs pandas, and loading it would be a third of the command's time on a small dataset. The ledger is
    checked on the shipped data's claims (counts, shares, ranks, dates, hiring rates; the survival fits and
    compare_labs do use pandas)."""
    data = DEFAULT_DATA_DIR if command == "claims" else data_dir
    args = [command, "--data", str(data)] + (["--out", str(tmp_path / "out")] if command == "build" else [])
    script = (f"import sys; from attrition.cli import main; code = main({args!r}); "
              "sys.exit(code or ('pandas' in sys.modules and 3))")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True).returncode == 0


def test_events_resolved_from_their_groups_are_what_the_source_rule_gives_over_every_source() -> None:
    """An event whose sources share one grade is resolved from the bounds of its group (checks.event_groups), the
    others from their sources: together, exactly what SOURCE_RULE (`relations.resolved`) gives over every source.
    The shipped data has both kinds."""
    ds = check_folder(DEFAULT_DATA_DIR)
    rule = relations.resolved(ds.engine.spelling.ordered_ids("source_id"), "evidence", "person_id, company, spell, event",
                              "WHERE event <> 'observed'", (("min(nullif(reason, ''))", "reason"),
                                                            ("min(nullif(\"group\", ''))", "spell_group")))
    columns = "person_id, company, spell, event, earliest, latest, conflict, n_sources, source_ids, coalesce(reason, '')"
    ours = f"SELECT {columns}, \"group\" FROM {events_table(ds)}"
    theirs = (f"SELECT {columns}, coalesce(spell_group, (SELECT p.\"group\" FROM people AS p WHERE p.person_id = "
              f"r.person_id AND p.company = r.company)) FROM ({rule}) AS r")
    differ = ds.engine.rows(f"SELECT count(*) FROM (({ours} EXCEPT ALL {theirs}) UNION ALL "
                            f"({theirs} EXCEPT ALL {ours})) AS d")[0][0]
    mixed = ds.engine.rows("SELECT count(*) FROM event_groups WHERE NOT one_grade AND event <> 'observed'")[0][0]
    assert mixed > 0 and differ == 0


ARGUMENTS = {  # one call of every metric that needs no frame, on the shipped data
    "departed_count": "--company xai --cohort founder", "departed_share": "--company xai --cohort founder",
    "remaining_count": "--company xai", "departures_between": "--company xai --start 2024-01-01 --end 2025-12-31",
    "headcount": "--company xai", "departure_rank": "--company xai --person tony-wu",
    "hires_between": "--company xai --start 2024-01-01 --end 2024-12-31",
    "days_per_hire": "--company xai --start 2024-02-01 --end 2024-03-31 --basis reported",
    "hiring_rate_ratio": "--company xai --start 2024-01-01 --end 2024-06-30 --baseline-start 2023-07-01 "
                         "--baseline-end 2023-12-31",
    "days_before_milestone": "--company xai --person tony-wu --milestone founded",
    "event_date": "--company xai --person tony-wu --event leave", "milestone_date": "--company xai --milestone founded",
    "years_since_milestone": "--company xai --milestone founded", "count_ratio":
        "--company xai --count-id qbitai-technical-staff-2024-04 --cohort founder",
    "weekly_hours_per_day": "--hours 80", "prior_affiliation": "--company xai --person pavel-izmailov --affiliation OpenAI",
    "flow_matrix": "--cohort founder", "interruptions": "--company openai --person sam-altman",
    "record_count": "--company xai --table people", "last_seen": "--company xai --person tony-wu",
    "reported_count": "--count-id qbitai-technical-staff-2024-04", "destination_count": "--cohort founder",
    "base_rate": "--rate-id carta-q1-2017-3y", "base_rate_tail": "--company xai --rate-id carta-q1-2017-3y",
    "rehire_rate": "--company openai", "time_away": "--company openai",
    "variant_share": "--company anthropic --variant B", "alumni_founded": "--company openai",
    "event_rate_ratio": "--company xai --start 2025-01-01 --end 2025-12-31 --baseline-start 2024-01-01 "
                        "--baseline-end 2024-12-31",
    "median_tenure": "--company xai --cohort founder", "interval_median": "--company xai",
    "share_departed_by_tenure": "--company openai --days 1000 --censoring freeze",
    "compare_labs": "--cohort hire --at-years 1,2", "share_gone_within": "--company openai --cohort founder",
    "retention_interval": "--company xai --as-of 2023-09-01",
}


def test_every_metric_that_needs_no_frame_runs_without_pandas() -> None:
    """pandas is a third of a small command's start-up: only the metrics on frames (`Metric.frames`) may load it.
    The survival fits (Kaplan-Meier, Turnbull) are among those that may not."""
    assert set(ARGUMENTS) == {m.name for m in METRICS.values() if not m.frames}
    calls = [["metric", name, *args.split()] for name, args in ARGUMENTS.items()]
    script = (f"import sys; from attrition.cli import main; codes = [main(c) for c in {calls!r}]; "
              "sys.exit(3 if 'pandas' in sys.modules else max(codes))")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True).returncode == 0


def test_build_is_byte_identical_on_a_second_run(data_dir, tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 0
    first = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    assert main(["build", "--data", str(data_dir), "--out", str(out)]) == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.csv")} == first
    assert set(first) == {"events.csv", "conflicts.csv", "spells.csv", "hires.csv", "headcount_monthly.csv", "milestones.csv"}
    assert first["spells.csv"].decode().splitlines()[1].startswith("alice,Alice A,acme,founder,,1,2020-01-01,2020-01-01,yes,leave")


def test_build_as_of_changes_status(data_dir, tmp_path) -> None:
    out = tmp_path / "out"
    main(["build", "--data", str(data_dir), "--out", str(out), "--as-of", "2020-06-01"])
    table = pd.read_csv(out / "spells.csv")
    assert set(table["status"]) == {"active"} and set(table["person_id"]) == {"alice", "bob", "carol", "dan"}


def test_spells_made_for_many_days_at_once_equal_those_made_a_day_at_a_time() -> None:
    """The claims ledger makes the spells of all its as-of days in one query (`prepare_days`); every day's rows
    must be those a metric asking about that day alone gets, the freeze date included."""
    together, alone = load(DEFAULT_DATA_DIR), load(DEFAULT_DATA_DIR)
    days = sorted({day_number(d) for d in ("2023-07-12", "2024-06-28", "2025-08-15", "2026-02-10")}
                  | {day_number(together.freeze_date)})
    prepare_days(together, days, "xai")
    for day in days:
        rows = [ds.engine.rows(f"SELECT * FROM {day_spells(ds, Scope(day, 'xai'))} WHERE as_of = ? "
                               "ORDER BY person_id, spell", [day]) for ds in (together, alone)]
        assert rows[0] == rows[1] and len(rows[0]) > 10, day
    assert len({day_spells(together, Scope(day, "xai")) for day in days}) == 1  # one table for the five days
    assert len({day_spells(alone, Scope(day, "xai")) for day in days}) == len(days)


def test_the_command_line_offers_exactly_the_registry_parameters() -> None:
    """`metric` and `check` take every parameter a metric declares, spelled by registry.flag, and no other."""
    from attrition.cli import _parser
    from attrition.measures.registry import PARAMETERS, flag

    commands = next(a for a in _parser()._actions if a.dest == "command").choices
    shared = {"--help", "-h", "--data", "--known-as-of", "--engine", "--format"}
    for command, own in (("metric", set()), ("check", {"--reported", "--reading", "--tolerance"})):
        options = {s for a in commands[command]._actions for s in a.option_strings} - shared - own
        assert options == {flag(name) for name in PARAMETERS}, command
        dests = {a.dest for a in commands[command]._actions if a.option_strings and a.dest in PARAMETERS}
        assert dests == set(PARAMETERS), command


def test_time_away_where_no_one_came_back_says_so() -> None:
    """No one who left Adept came back: time_away said "3 returns", each away for "not reached" (an empty pandas
    frame took the index of the column assigned to it: one row per spell, none of them a return)."""
    ds = load()
    assert compute("rehire_rate", ds, company="adept").numerator == {"lo": 0, "hi": 0}
    away = compute("time_away", ds, company="adept")
    assert (away.lo, away.hi, away.numerator) == (None, None, None)
    assert away.text == f"no people of Adept had come back by {ds.freeze_date}"
