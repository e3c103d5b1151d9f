"""The mapping keys of `attrition import roster` beyond the basics, and what the measures make of them:
reasons sorted into categories, late entry (tested against lifelines' `entry=`), groups per spell, returns,
cohorts, per-column date formats and fiscal years. Every key is documented and refused with its line."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter

from attrition.core import departures
from attrition.core.scope import Scope
from attrition.days import day_number
from attrition.dev.synthetic import REGISTER_MAPPING, write_hr_export
from attrition.io.dataset import load
from attrition.io.importers.mapping import MAPPING_KEYS
from attrition.io.importers.roster import import_roster
from attrition.locations import REPO_ROOT
from attrition.measures import cohorts, estimators, reasons
from attrition.measures.registry import compute
from attrition.measures.survival import tenure_table, window_rate
from attrition.result import MetricError
from attrition.schema import DataError

BASE = """[roster]
person_column = "id"
name_column = "name"
company = "Acme Ltd"
group_column = "team"
reason_column = "why"
start_column = "start"
end_column = "end"
observed_until = "2022-01-01"
"""
EXPORT = """id,name,team,start,end,why
a,Ann,red,2019,2020-06-30,quit
b,Bea,red,2019,2021-03-01,Retired
c,Cy,blue,2020,,
c,Cy,red,2018,2019-06-30,quit
d,Di,blue,2019,2020-02-01,let go
"""
"""Starts are years (a start taken from a year column); Cy left red in 2019 and came back to blue in 2020."""
SORTED = BASE + """start_date_format = "%Y"
start_precision = "year"

[roster.reasons]
quit = "voluntary"
retired = "retired"
"let go" = "dismissed"
"""


def _import(tmp_path: Path, export: str = EXPORT, mapping: str = SORTED) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "export.csv").write_text(export, encoding="utf-8")
    (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    import_roster(folder / "export.csv", folder / "mapping.toml", tmp_path / "out")
    return tmp_path / "out"


def _problems(tmp_path: Path, export: str = EXPORT, mapping: str = SORTED) -> list[tuple]:
    with pytest.raises(DataError) as err:
        _import(tmp_path, export, mapping)
    assert not (tmp_path / "out").exists()
    return [(p.file, p.line, p.column, p.value, p.message) for p in err.value.problems]


def test_a_year_column_and_a_date_column_each_read_with_their_own_format(tmp_path) -> None:
    evidence = pd.read_csv(_import(tmp_path) / "evidence.csv", keep_default_na=False)
    ann = {r.event: (r.earliest, r.latest) for r in evidence[evidence.person_id == "a"].itertuples()}
    assert ann == {"join": ("2019-01-01", "2019-12-31"), "leave": ("2020-06-30", "2020-06-30")}


@pytest.mark.parametrize("named_by, first", [("end", "2018-07-01"), ("start", "2019-07-01")])
def test_a_fiscal_year_is_the_twelve_months_from_its_first_day(tmp_path, named_by, first) -> None:
    mapping = SORTED.replace('start_precision = "year"', 'start_precision = "fiscal_year"\nfiscal_year_start = "07-01"\n'
                                                         f'fiscal_year_named_by = "{named_by}"')
    mapping = mapping.replace('start_date_format = "%Y"', 'start_date_format = "FY%Y"')
    export = re.sub(r",(20[12][0-9]),", r",FY\1,", EXPORT)
    evidence = pd.read_csv(_import(tmp_path, export, mapping) / "evidence.csv", keep_default_na=False)
    join = evidence[(evidence.person_id == "a") & (evidence.event == "join")].iloc[0]
    assert (join.earliest, join.latest) == (first, f"{int(first[:4]) + 1}-06-30"), "FY2019 of a July fiscal year"


def test_reasons_are_sorted_into_categories_and_the_exports_words_kept(tmp_path) -> None:
    out = _import(tmp_path)
    evidence = pd.read_csv(out / "evidence.csv", keep_default_na=False)
    leaves = evidence[evidence.event == "leave"].set_index(["person_id", "spell"])
    assert leaves.loc[("b", 1), "reason"] == "retired", "matched whatever the case"
    assert leaves.loc[("d", 1), "reason"] == "dismissed"
    assert leaves.loc[("d", 1), "paraphrase"].endswith("; why let go")
    settings = (out / "dataset.toml").read_text()
    assert 'categories = ["voluntary", "dismissed", "retired", "death or health", "end of term", ' \
           '"moved to another organisation", "unknown"]' in settings
    ds = load(out)
    rows = compute("reasons", ds, company="acme-ltd", at_years=(1,)).details["reasons"]
    assert [(r["reason"], r["people"]) for r in rows] == [("voluntary", 2), ("dismissed", 1), ("retired", 1)], \
        "Cy quit and came back a year later: a lasting departure"


def test_an_unsorted_reason_and_an_unknown_category_are_located(tmp_path) -> None:
    problems = _problems(tmp_path, EXPORT.replace("let go", "let goo"))
    assert problems == [("export.csv", 6, "why", "let goo", 'is not sorted into a category by the mapping\'s '
                         '[roster.reasons] (1 row) (did you mean let go?); add a line "let goo" = "one of: voluntary, '
                         'dismissed, retired, death or health, end of term, moved to another organisation, unknown"')]
    problems = _problems(tmp_path / "2", mapping=SORTED.replace('"let go" = "dismissed"', '"let go" = "dimissed"'))
    assert problems[0][:4] == ("mapping.toml", 16, "let go", "dimissed") and "(did you mean dismissed?)" in problems[0][4]
    own = SORTED.replace('start_precision = "year"', 'start_precision = "year"\nreason_categories = ["let go"]')
    out = _import(tmp_path / "3", mapping=own.replace('"let go" = "dismissed"', '"let go" = "let go"'))
    assert '"let go", "unknown"]' in (out / "dataset.toml").read_text(), "a roster's own category comes before unknown"


def test_groups_belong_to_spells(tmp_path) -> None:
    ds = load(_import(tmp_path))
    assert compute("departed_count", ds, company="acme-ltd", group="red").to_dict()["denominator"]["hi"] == 2, \
        "Cy's latest spell is in blue, so red has Ann and Bea"
    assert compute("departed_count", ds, company="acme-ltd", group="blue").to_dict()["denominator"]["hi"] == 2
    from attrition.measures.survival import tenure_table

    tenure = tenure_table(ds, Scope.of(ds, "acme-ltd")).set_index("person_id")
    assert tenure.loc["c", "group"] == "red", "a tenure is in the group of the spell it measures (the first)"
    with pytest.raises(MetricError, match=r"unknown group 'Red' at acme-ltd \(did you mean red\?\)"):
        compute("departed_count", ds, company="acme-ltd", group="Red")


def test_returns_rehire_rate_and_time_away(tmp_path) -> None:
    ds = load(_import(tmp_path))
    rate = compute("rehire_rate", ds, company="acme-ltd")
    assert (rate.lo, rate.numerator["lo"], rate.denominator["lo"]) == (0.25, 1, 4)
    assert rate.details["ci_lower"] == pytest.approx(0.0063094, abs=1e-6)  # Clopper-Pearson for 1 of 4
    away = compute("time_away", ds, company="acme-ltd")
    assert (away.lo, away.hi) == (185, 550), "Cy left 2019-06-30 and came back some time in 2020"


def test_the_settings_of_the_report_come_from_the_mapping(tmp_path) -> None:
    settings = (_import(tmp_path) / "dataset.toml").read_text()
    assert 'public = false' in settings and 'licence = "private, not for publication"' in settings
    assert 'people = "employees"' in settings and 'title = "export"' in settings
    mapping = SORTED.replace('observed_until = "2022-01-01"', 'observed_until = "2022-01-01"\npublic = true\n'
                             'licence = "CC0 1.0"\ntitle = "Acme staff"') + '\n[roster.words]\nperson = "clerk"\npeople = "clerks"\n'
    settings = (_import(tmp_path / "2", mapping=mapping) / "dataset.toml").read_text()
    assert all(text in settings for text in ('public = true', 'licence = "CC0 1.0"', 'title = "Acme staff"',
                                              'person = "clerk"', 'hire = "clerks"'))


Y = 'start_precision = "year"'
BAD_KEYS = {
    "start_date_format": ('start_date_format = "Y"', 'start_date_format = "%Y"', 'must be strptime codes'),
    "start_precision": ('start_precision = "years"', Y, "(did you mean year?)"),
    "fiscal_year_start": (Y + '\nfiscal_year_start = "13-01"', Y, 'must be a month and day, "MM-DD"'),
    "fiscal_year_named_by": (Y + '\nfiscal_year_named_by = "middle"', Y, 'must be "end"'),
    "observed_from": (Y + '\nobserved_from = "2023-01-01"', Y, "on or before observed_until"),
    "public": (Y + '\npublic = "yes"', Y, "must be true or false"),
    "licence": (Y + '\nlicence = 4', Y, "must be text in quotes"),
    "title": (Y + '\ntitle = 4', Y, "must be text in quotes"),
    "reason_categories": (Y + '\nreason_categories = "mine"', Y, "must be a list of names"),
    "observed_from_date_format": (Y + '\nobserved_from_date_format = "day"', Y, "must be strptime codes"),
    "end_precision": (Y + '\nend_precision = "week"', Y, "must be day, month, year or fiscal_year"),
}


@pytest.mark.parametrize("key", BAD_KEYS)
def test_each_new_key_is_refused_with_its_line(tmp_path, key) -> None:
    bad, good, message = BAD_KEYS[key]
    mapping = SORTED.replace(good, bad)
    line = next(i for i, text in enumerate(mapping.splitlines(), 1) if text.startswith(f"{key} ="))
    problems = _problems(tmp_path, mapping=mapping)
    assert any(p[:3] == ("mapping.toml", line, key) and message in p[4] for p in problems), problems


def test_one_day_or_a_column_for_late_entry_not_both(tmp_path) -> None:
    mapping = SORTED.replace(Y, Y + '\nobserved_from = "2019-01-01"\nobserved_from_column = "start"')
    problems = _problems(tmp_path, mapping=mapping)
    assert [p[:3] for p in problems] == [("mapping.toml", 12, "observed_from")] and "not both" in problems[0][4]


def test_fiscal_years_need_their_first_day_and_words_their_names(tmp_path) -> None:
    problems = _problems(tmp_path, mapping=SORTED.replace('start_precision = "year"', 'start_precision = "fiscal_year"'))
    assert problems[0][:3] == ("mapping.toml", 11, "start_precision") and "needs fiscal_year_start" in problems[0][4]
    problems = _problems(tmp_path / "2", mapping=SORTED + '\n[roster.words]\npersn = "clerk"\n')
    assert problems[0][:3] == ("mapping.toml", 19, "persn") and "(did you mean person?)" in problems[0][4]


def test_a_row_that_ended_before_observation_began_is_refused(tmp_path) -> None:
    mapping = SORTED.replace('start_precision = "year"', 'start_precision = "year"\nobserved_from = "2020-01-01"')
    problems = _problems(tmp_path, mapping=mapping)
    assert [p[:4] for p in problems] == [("export.csv", 5, "end", "2019-06-30")]
    assert "ended before observation started (2020-01-01)" in problems[0][4]


def test_every_mapping_key_is_documented_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    table = readme[readme.index("| key | meaning |"):]
    table = table[:table.index("\n\n")]
    documented = {name.strip(" `") for row in re.findall(r"^\| ([^|]+) \|", table, re.M) for name in row.split(",")}
    assert documented - {"key", "---"} == set(MAPPING_KEYS)


# -- a register that began after people joined (late entry), against lifelines ---------------------------------

@pytest.fixture(scope="module")
def register(tmp_path_factory) -> tuple[pd.DataFrame, object]:
    """A synthetic register of 2,000 rows that began on 2018-01-01, first spells only, with unique durations
    (lifelines' Aalen-Johansen breaks tied days at random)."""
    folder = tmp_path_factory.mktemp("register")
    path = write_hr_export(folder / "in" / "hr.csv", 2_000, n_companies=1, seed=11, register_from="2018-01-01")
    export = pd.read_csv(path, keep_default_na=False, dtype=str).drop_duplicates("employee_id")
    day = lambda column: pd.to_datetime(export[column], format="%d/%m/%Y", errors="coerce")
    end = day("left").fillna(day("last_seen")).fillna(pd.Timestamp("2026-11-22"))
    export = export.assign(duration=(end - day("hired")).dt.days, left_=export["left"] != "",
                           entry=(day("on_register") - day("hired")).dt.days.clip(lower=0))
    export = export.drop_duplicates("duration", keep=False)
    export = export[~export["duration"].isin(set(export.loc[export["entry"] > 0, "entry"]))]
    export.drop(columns=["duration", "left_", "entry"]).to_csv(path, index=False)
    (folder / "in" / "mapping.toml").write_text(REGISTER_MAPPING)
    import_roster(path, folder / "in" / "mapping.toml", folder / "out")
    return export, load(folder / "out")


def test_survival_on_a_register_uses_delayed_entry_as_lifelines_does(register) -> None:
    export, ds = register
    assert (export["entry"] > 0).mean() > 0.3, "most people were there before the register began"
    kmf = KaplanMeierFitter().fit(export["duration"], export["left_"], entry=export["entry"])
    median = compute("median_tenure", ds, company="company-0001", cohort="hire")
    expected = kmf.median_survival_time_
    assert median.details["midpoint"] == (None if np.isinf(expected) else expected)
    for days in (365, 1500, 3000):
        share = compute("share_departed_by_tenure", ds, company="company-0001", cohort="hire", days=days)
        assert share.details["midpoint"] == pytest.approx(1 - kmf.survival_function_at_times(days).iloc[0], abs=1e-9)
    naive = KaplanMeierFitter().fit(export["duration"], export["left_"])
    assert abs(naive.survival_function_at_times(3000).iloc[0] - kmf.survival_function_at_times(3000).iloc[0]) > 0.05, \
        "ignoring late entry would bias it towards long tenures"


def test_rate_windows_on_a_register_count_time_at_risk_from_when_it_began(register) -> None:
    """event_rate_ratio's engine counts (leavers, half-days at risk) equal `window_rate` on the tenure table, whose
    time at risk starts when the register began for those already there."""
    _, ds = register
    scope = Scope.of(ds, "company-0001", "hire")
    windows = [("2012-01-01", "2017-12-31"), ("2016-07-01", "2019-06-30"), ("2020-01-01", "2026-11-22")]
    tenure = tenure_table(ds, scope)
    assert (tenure["midpoint_entry"] > 0).mean() > 0.3
    expected = [window_rate(tenure, pd.Timestamp(first), pd.Timestamp(last) + pd.Timedelta(days=1))[:2]
                for first, last in windows]
    counted = departures.leavers_in_windows(ds, scope, [(day_number(a), day_number(b) + 1) for a, b in windows])
    assert [(k, at_risk / 2 / 365.25) for k, at_risk in counted] == expected
    assert expected[0][1] == 0, "no one is at risk before the register began"
    assert expected[1][1] > 0 and expected[2][0] > 0


def test_reasons_on_a_register_match_lifelines_aalen_johansen_with_entry(register) -> None:
    export, ds = register
    codes = {"resigned": 1, "retired": 2, "dismissed": 3}
    events = export["reason"].map(codes).where(export["left_"], 0).fillna(0).astype(int)
    names = {"resigned": "voluntary", "retired": "retired", "dismissed": "dismissed"}
    for raw, code in codes.items():
        ajf = AalenJohansenFitter(calculate_variance=True).fit(export["duration"], events, event_of_interest=code,
                                                                entry=export["entry"])
        for years in (1, 3):
            ours = compute("reason_share", ds, company="company-0001", reason=names[raw], at_years=(years,))
            expected = ajf.cumulative_density_.loc[:years * 365.25].iloc[-1, 0]
            assert ours.lo == pytest.approx(expected, abs=1e-9), (raw, years)
            band = ajf.confidence_interval_.loc[:years * 365.25].iloc[-1]
            assert (ours.details["ci_lower"], ours.details["ci_upper"]) == pytest.approx(tuple(band), abs=1e-9)


def test_cohort_retention_is_kaplan_meier_within_each_start_year(register) -> None:
    export, ds = register
    table, unit = cohorts.cohort_table(ds, "company-0001", "hire")
    assert unit == "year" and list(table["period"]) == sorted(table["period"])
    start = pd.to_datetime(export["hired"], format="%d/%m/%Y")
    for year in (2012, 2019, 2023):
        rows = export[start.dt.year == year]
        kmf = KaplanMeierFitter().fit(rows["duration"], rows["left_"], entry=rows["entry"])
        row = table.set_index("period").loc[str(year)]
        assert row["people"] == len(rows)
        for years in (1, 2, 3):
            if rows["entry"].min() > 0:
                assert np.isnan(row[f"still_{years}y"]), "no one of the cohort was observed from joining"
            elif rows["duration"].max() >= years * 365.25:
                assert row[f"still_{years}y"] == pytest.approx(kmf.survival_function_at_times(years * 365.25).iloc[0],
                                                               abs=1e-9)
        cell = compute("cohort_retention", ds, company="company-0001", start=f"{year}-01-01", end=f"{year}-12-31",
                       at_years=(2,))
        assert cell.lo == _none(row["still_2y"]) and cell.details.get("ci_lower") == _none(row["still_2y_lower"])
    assert table["still_3y"].isna().iloc[-1], "the latest cohort was not followed three years"


def _none(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def test_reason_incidences_add_up_to_the_share_gone(register) -> None:
    _, ds = register
    table = reasons.leavers(ds, Scope.of(ds, "company-0001"))
    curves = reasons.incidence(table)
    total = reasons.incidence_at(curves, 3)["incidence"].sum()
    from attrition.measures.survival import fit_scenario

    curve = fit_scenario(table)
    assert total == pytest.approx(1 - estimators.value_at(curve, 3 * 365.25), abs=1e-8)


def test_returns_on_a_register(tmp_path) -> None:
    path = write_hr_export(tmp_path / "in" / "hr.csv", 3_000, seed=5)
    export = pd.read_csv(path, keep_default_na=False, dtype=str)
    (tmp_path / "in" / "mapping.toml").write_text(REGISTER_MAPPING.replace('observed_from_column = "on_register"\n', ""))
    import_roster(path, tmp_path / "in" / "mapping.toml", tmp_path / "out")
    ds = load(tmp_path / "out")
    rows = export.groupby("employee_id").size()
    back = int((rows > 1).sum())
    rate = compute("rehire_rate", ds, company="company-0001")
    assert back > 10 and rate.numerator["lo"] == back
    assert rate.denominator["lo"] == int(((export["left"] != "").groupby(export["employee_id"]).any()).sum())
    day = lambda column: pd.to_datetime(export[column], format="%d/%m/%Y", errors="coerce")
    export = export.assign(start=day("hired"), end=day("left"))
    previous = export.sort_values(["employee_id", "start"]).groupby("employee_id")["end"].shift()
    gaps = (export.sort_values(["employee_id", "start"])["start"] - previous).dropna().dt.days
    away = compute("time_away", ds, company="company-0001")
    assert away.lo == away.hi == float(np.median(gaps))


def test_the_readmes_example_mappings_are_valid(tmp_path) -> None:
    from attrition.io.importers.mapping import read_mapping

    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("A minimal mapping for an HR export"):]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)[:2]
    assert len(blocks) == 2
    for i, block in enumerate(blocks):
        (tmp_path / f"{i}.toml").write_text(block)
        read_mapping(tmp_path / f"{i}.toml")


def test_destinations_on_an_imported_roster_list_the_reasons_with_the_default_cohort(tmp_path) -> None:
    ds = load(_import(tmp_path))
    result = compute("destinations", ds, company="acme-ltd")
    assert result.cohort is None and [r["reason"] for r in result.details["reasons"]] == ["voluntary", "dismissed",
                                                                                          "retired"]
    assert "why they left" in result.text and "voluntary: 2" in result.text


def test_a_cohort_no_one_left_gets_the_exact_interval_of_those_followed_that_long() -> None:
    """Three joined, none left, one followed past two years: at one year all three count (exact interval for 3 of
    3), at two years the one (1 of 1). Kaplan-Meier's band has no width there (the 2010s read '100%' alone)."""
    tenure = pd.DataFrame({"period": ["2010s"] * 3, "midpoint_days": [400.0, 500.0, 800.0],
                           "midpoint_left": [False, False, False], "midpoint_entry": [0.0, 0.0, 0.0]})
    row = cohorts.retention(tenure, "period", (1, 2)).set_index("period").loc["2010s"]
    assert (row["still_1y"], row["still_2y"]) == (1, 1)
    assert row["still_1y_lower"] == pytest.approx(0.025 ** (1 / 3))
    assert row["still_2y_lower"] == pytest.approx(0.025)
