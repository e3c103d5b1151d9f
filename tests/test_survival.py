"""Survival numbers against hand counts (synthetic roster, shipped data) and published lifelines results."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from attrition import load
from attrition.cli import main
from attrition.core import departures
from attrition.core.scope import Scope
from attrition.days import day_number
from attrition.measures import estimators
from attrition.measures.rates import rate_ratio_test
from attrition.measures.registry import compute
from attrition.measures.survival import (
    compare_groups,
    departed_share_series,
    departures_by_year,
    fit_interval,
    tenure_table,
    tenures,
    window_rate,
)
from attrition.measures.tenure import median_tenure, share_departed_by_tenure
from attrition.precision import snap
from attrition.result import MetricError

# --- lifelines' own published numbers (docs "Survival analysis with lifelines", load_dd) ---------------

@pytest.fixture(scope="module")
def dd():
    from lifelines.datasets import load_dd

    return load_dd()


def test_km_reproduces_the_published_leaders_tenure_median(dd) -> None:
    curve = estimators.curve(dd["duration"], dd["observed"])
    assert estimators.first_time_below(curve) == 4.0
    assert (estimators.first_time_below(curve, column="lower"), estimators.first_time_below(curve, column="upper")) == (3.0, 4.0)
    assert [round(estimators.value_at(curve, t), 4) for t in (1, 5, 10, 20)] == [0.7218, 0.3340, 0.1813, 0.0910]


def test_km_from_a_life_table_equals_lifelines_on_individual_rows(dd) -> None:
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(dd["duration"], dd["observed"])
    life = dd.assign(events=dd["observed"], censored=1 - dd["observed"]).rename(columns={"duration": "days"})
    life = life.groupby("days", as_index=False)[["events", "censored"]].sum()
    mine = estimators.kaplan_meier(life)
    assert list(mine["days"]) == list(kmf.survival_function_.index)
    assert list(mine["at_risk"]) == list(kmf.event_table["at_risk"])
    assert np.array_equal(mine["survival"].to_numpy(), snap(kmf.survival_function_.iloc[:, 0].to_numpy()))
    assert np.array_equal(mine[["lower", "upper"]].to_numpy(), snap(kmf.confidence_interval_.to_numpy()))


def test_km_of_many_groups_at_once_is_each_group_fitted_alone_to_the_last_bit() -> None:
    """`fit` sums the log steps of each group from zero, in time order (`_running_sum` stacks runs of similar
    length as matrix rows): groups of 1 to 5,000 times, fitted together, give exactly what each gives alone, and
    what lifelines gives on each group's individual rows."""
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(11)
    sizes = [1, 2, 3, 7, 64, 65, 500, 5000]
    group = np.repeat(np.arange(len(sizes)), sizes)
    days = np.concatenate([np.sort(rng.choice(20_000, size, replace=False)) for size in sizes]).astype(float)
    events, censored = rng.integers(0, 4, len(days)), rng.integers(0, 3, len(days))
    together = estimators.fit(group, days, events, censored)
    for g, size in enumerate(sizes):
        alone = estimators.fit(np.zeros(size, dtype=np.int64), days[group == g], events[group == g], censored[group == g])
        rows = together["group"] == g
        for column in ("days", "at_risk", "survival", "lower", "upper"):
            assert np.array_equal(together[column][rows], alone[column]), (g, column)
        durations = np.repeat(days[group == g], events[group == g] + censored[group == g])
        observed = np.concatenate([np.repeat([1, 0], [e, c]) for e, c in zip(events[group == g], censored[group == g])])
        if observed.sum():
            kmf = KaplanMeierFitter().fit(durations, observed)
            assert np.array_equal(alone["survival"][alone["events"] > 0],
                                  snap(kmf.survival_function_.to_numpy()[:, 0])[kmf.event_table["observed"].to_numpy() > 0])


def test_turnbull_equals_lifelines_on_interval_censored_data() -> None:
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(7)
    lower = rng.integers(0, 100, 40).astype(float)
    upper = lower + rng.integers(0, 30, 40)
    upper[rng.random(40) < 0.3] = np.inf
    theirs = KaplanMeierFitter().fit_interval_censoring(lower, upper).survival_function_
    mine = estimators.turnbull(lower, upper)
    assert list(mine.index) == list(theirs.index)
    assert np.sort(mine.to_numpy(), axis=1) == pytest.approx(snap(np.sort(theirs.to_numpy(), axis=1)), abs=1e-14)


def test_logrank_wrapper_reproduces_the_published_democracy_test(dd) -> None:
    as_tenure = dd.rename(columns={"duration": "midpoint_days", "observed": "midpoint_left"})
    dem = as_tenure["democracy"] == "Democracy"
    result = compare_groups(as_tenure[dem], as_tenure[~dem])
    assert result["test_statistic"] == pytest.approx(260.47, abs=0.01)
    assert -math.log2(result["p_value"]) == pytest.approx(192.23, abs=0.01)


# --- synthetic roster (conftest.py): four founders leave at 366, 790-820, 1127-1246 and 1627 days ---------

def test_tenure_readings_bracket_the_uncertain_dates(ds) -> None:
    t = tenure_table(ds, Scope.of(ds, "acme", "founder")).set_index("person_id")
    assert (t.loc["bob", "shortest_days"], t.loc["bob", "midpoint_days"], t.loc["bob", "longest_days"]) == (790, 805, 820)
    assert (t.loc["carol", "lower"], t.loc["carol", "upper"]) == (1127, 1246)
    assert t["midpoint_left"].all()


def test_censoring_at_the_as_of_date(ds) -> None:
    t = tenure_table(ds, Scope.of(ds, "acme", "founder", as_of="2022-01-01")).set_index("person_id")
    assert list(t["midpoint_left"].sort_index()) == [True, False, False, False]  # only alice had left
    assert t.loc["bob", "midpoint_days"] == 731  # censored on 2022-01-01, 731 days after 2020-01-01
    assert math.isinf(t.loc["bob", "upper"])


def test_median_tenure_by_hand(ds) -> None:
    result = median_tenure(ds, "acme", "founder")
    # S drops to 0.5 at bob's departure: 790 days in the shortest reading, 820 in the longest.
    assert (result.lo, result.hi, result.details["midpoint"]) == (790, 820, 805)
    assert result.details["interval_censored"] == [790, 820]
    assert (result.details["ci_lower"], result.details["ci_upper"]) == (366, 1627)


def test_median_not_reached_while_fewer_than_half_have_left(ds, capsys) -> None:
    result = median_tenure(ds, "acme", "founder", as_of="2022-01-01")
    assert (result.lo, result.hi) == (None, None)
    assert "not reached" in result.text


def test_share_departed_by_tenure_by_hand(ds) -> None:
    one_year = share_departed_by_tenure(ds, "acme", 400, "founder")
    assert (one_year.lo, one_year.hi) == (pytest.approx(0.25), pytest.approx(0.25))  # alice left at 366 days
    at_800 = share_departed_by_tenure(ds, "acme", 800, "founder")
    assert (at_800.lo, at_800.hi) == (pytest.approx(0.25), pytest.approx(0.5))  # bob left between 790 and 820 days


@pytest.mark.parametrize("days", [-1, float("nan"), float("inf"), 1e308, None, "soon"])
def test_share_departed_by_tenure_refuses_a_tenure_that_is_not_a_number_of_days(ds, days) -> None:
    """From Python as on the command line (the registry's --days): 0 to 200 years."""
    with pytest.raises(MetricError, match=r"days must be a number from 0 to 73,050 \(200 years\)"):
        share_departed_by_tenure(ds, "acme", days, "founder")


def test_minus_zero_days_is_zero_days(ds) -> None:
    assert "within 0 days of joining" in share_departed_by_tenure(ds, "acme", -0.0, "founder").text


def test_interval_censored_fit_by_hand(ds) -> None:
    table = tenure_table(ds, Scope.of(ds, "acme", "founder"))
    npmle = estimators.turnbull_fit(table["lower"], table["upper"])
    frame = fit_interval(table)  # the same fit as lifelines' frame, for the chart
    assert list(frame.index) == list(npmle["days"]) and list(frame["lower"]) == list(npmle["lower"])
    assert estimators.turnbull_value_at(npmle, 1000) == pytest.approx((0.5, 0.5))
    assert estimators.turnbull_value_at(npmle, 800) == pytest.approx((0.5, 0.75))
    assert estimators.turnbull_median(npmle) == [790, 820]


def test_origin_measures_time_since_a_founding_date(ds) -> None:
    t = tenure_table(ds, Scope.of(ds, "acme", "founder", origin="2019-11-01")).set_index("person_id")
    assert t.loc["alice", "midpoint_days"] == 427  # 2019-11-01 to 2021-01-01


def test_departure_rank_is_a_range_when_dates_overlap(tmp_path) -> None:
    from conftest import FILES, write_dataset

    evidence = FILES["evidence.csv"].replace("bob,acme,1,leave,2022-03-01,2022-03-31", "bob,acme,1,leave,2020-12-01,2021-01-31")
    evidence = evidence.replace("bob,acme,1,observed,2022-02-15,2022-02-15", "bob,acme,1,observed,2020-11-15,2020-11-15")
    ds = load(write_dataset(tmp_path / "data", evidence_csv=evidence))
    bob = compute("departure_rank", ds, company="acme", person="bob")
    assert (bob.lo, bob.hi) == (1, 2) and bob.text.startswith("Bob B was the 1st to 2nd of 4 acme founders")
    carol = compute("departure_rank", ds, company="acme", person="carol")
    assert (carol.lo, carol.hi) == (3, 3)


def test_departure_rank_of_someone_still_there_is_an_error(ds) -> None:
    with pytest.raises(MetricError, match="had not left"):
        compute("departure_rank", ds, company="acme", person="erin")


def test_departures_by_year_by_hand(ds) -> None:
    table = departures_by_year(ds, "acme", "founder").set_index("year")
    assert list(table["departures_mid"]) == [0, 1, 1, 1, 1, 0]
    assert table.loc[2020, "person_years"] == pytest.approx(4 * 366 / 365.25)
    assert table.loc[2021, "person_years"] == pytest.approx(3 * 365 / 365.25)  # alice gone on 2021-01-01
    assert (table.loc[2023, "departures_lo"], table.loc[2023, "departures_hi"]) == (1, 1)
    # exact Poisson interval for 1 event: chi2(0.025, 2)/2 = 0.0253, chi2(0.975, 4)/2 = 5.5716
    assert table.loc[2021, "rate_ci_upper"] * table.loc[2021, "person_years"] == pytest.approx(5.5716, abs=1e-4)


def test_rate_ratio_test_matches_the_binomial_by_hand() -> None:
    result = rate_ratio_test(6, 1.0, 1, 1.0)
    assert result["rate_ratio"] == 6
    assert result["p_value"] == pytest.approx(16 / 128)  # P(X >= 6) + P(X <= 1) for X ~ Bin(7, 1/2)


def test_the_engines_window_counts_are_window_rate_on_the_tenure_table() -> None:
    """event_rate_ratio counts leavers and time at risk in the engine, in half-days: they equal `window_rate` over
    the tenure table (the yearly rates' own count) on every lab, to the bit (tests/test_roster_mapping.py: with late
    entry)."""
    ds = load()
    windows = [("2016-01-01", "2016-12-31"), ("2023-07-12", "2024-06-30"), ("2025-01-01", "2026-06-30"),
               ("2010-01-01", "2030-12-31")]
    days = [(day_number(first), day_number(last) + 1) for first, last in windows]
    for company in ds.companies:
        scope = Scope.of(ds, company)
        tenure = tenure_table(ds, scope)
        expected = [window_rate(tenure, pd.Timestamp(first), pd.Timestamp(last) + pd.Timedelta(days=1))[:2]
                    for first, last in windows]
        counted = departures.leavers_in_windows(ds, scope, days)
        assert [(k, at_risk / 2 / 365.25) for k, at_risk in counted] == expected, company


def test_departed_share_series_steps_where_dates_change(ds) -> None:
    series = departed_share_series(ds, "acme", "founder").set_index("date")
    assert series.loc[pd.Timestamp("2023-02-01")].tolist() == [0.5, 0.75]
    assert series.loc[pd.Timestamp("2023-05-31")].tolist() == [0.75, 0.75]


def test_departed_share_series_is_departed_share_on_every_day_it_steps() -> None:
    """One rule: the series and the point metric agree on every step of the shipped founders' series."""
    ds = load()
    for exclude in ((), ("elon-musk",)):
        series = departed_share_series(ds, "xai", "founder", exclude=exclude)
        assert len(series) > 10
        for row in series.itertuples():
            point = compute("departed_share", ds, company="xai", cohort="founder", as_of=row.date.date().isoformat(),
                            exclude=list(exclude))
            assert (point.lo, point.hi) == (row.lo, row.hi), row.date


# --- the shipped xAI data, counted by hand from data/evidence.csv -------------------------------------

@pytest.fixture(scope="module")
def shipped():
    return load()


def test_shipped_founder_median_tenure(shipped) -> None:
    # 12 founders joined 2023-07-12; the 6th of 12 departures is Jimmy Ba's on 2026-02-10 = 944 days.
    result = median_tenure(shipped, "xai", "founder")
    assert (result.lo, result.hi) == (944, 944)


def test_shipped_tony_wu_was_the_fifth_founder_to_leave(shipped, capsys) -> None:
    # Before him: Kosic (Apr 2024), Szegedy (2025), Babuschkin (2025-08-13), Yang (2026-01-20).
    assert main(["metric", "departure_rank", "--company", "xai", "--person", "tony-wu", "--format", "json"]) == 0
    import json

    payload = json.loads(capsys.readouterr().out)
    assert (payload["lo"], payload["hi"]) == (5, 5)
    assert payload["person_ids"]["earlier"] == ["christian-szegedy", "greg-yang", "igor-babuschkin", "kyle-kosic"]


def test_shipped_share_gone_within_two_years(shipped) -> None:
    # Within 730 days of 2023-07-12 (by 2025-07-11): Kosic for sure; Szegedy (Feb or May 2025) too.
    result = share_departed_by_tenure(shipped, "xai", 730, "founder")
    assert (result.lo, result.hi) == (pytest.approx(2 / 12), pytest.approx(2 / 12))


def test_a_cohort_no_one_is_in_is_said_in_words(ds, capsys) -> None:
    """A tenure table of no one was a KeyError, reported as 'unexpected ... please report this' by the comparisons."""
    assert tenures(ds, Scope.of(ds, "acme", "executive")).empty
    assert main(["metric", "hazard_ratio", "--data", str(ds.data_dir), "--company", "acme", "--cohort", "executive"]) == 2
    assert capsys.readouterr().err == "error: no executives of acme had joined by 2025-12-31\n"
