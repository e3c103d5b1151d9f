"""Survival analysis of tenure as frames: a row per person, departures by year, the readings side by side.

A person still at the company on the as-of date is a censored observation, not a missing one. Date
uncertainty is carried three ways (see `attrition.measures.tenure`, whose metrics read the fits without
pandas): an exact fit on the midpoints of every date interval; two bracket fits that read every date so as to
make tenures as short, or as long, as the sources allow; and an interval-censored fit (Turnbull NPMLE) on
[lower, upper] tenure bounds. The tables here are for the charts and the notebooks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

import pandas as pd

from attrition.core import departures, relations, roster
from attrition.core.scope import Scope
from attrition.days import day_number
from attrition.io.dataset import Dataset
from attrition.measures import estimators, tenure
from attrition.measures.rates import poisson_ci
from attrition.precision import snap, snap_significant
from attrition.result import MetricError

SCENARIOS = relations.READINGS
INTERRUPTION_DAYS = relations.INTERRUPTION_DAYS
LEAVING_RULE = (
    "A person has left on their last day where a source gives it, otherwise on the day their leaving was "
    "announced; stepping back to an adviser or board-only role counts as leaving an operating role, and a "
    "founder who only ever sat on the board leaves when they leave the board; a whole "
    "team moving in an acquisition or acqui-hire counts as leaving for each person who moved. In survival "
    f"curves a departure followed by a return within {INTERRUPTION_DAYS} days (a firing reversed, a "
    "sabbatical) is an interruption, not leaving; a longer absence is leaving, at its first day."
)
"""The rule, applied the same way to every company, for what ends a tenure."""


def _midpoint(lo: pd.Series, hi: pd.Series) -> pd.Series:
    return lo + (hi - lo) / 2


def tenure_table(ds: Dataset, scope: Scope) -> pd.DataFrame:
    """Time from joining to first lasting departure (days), per person of one company's scope, censored at its
    day, in every reading; an error when no one is in it.

    For each scenario in SCENARIOS there is a `<scenario>_days` duration and a `<scenario>_left`
    flag; `lower` and `upper` bound the tenure for the interval-censored fit (upper is inf while
    the person may still be there). The scope's `origin`, if given, replaces every join date: use it to
    measure time since a founding date instead of since each person's own join. Its `censoring` says
    where someone still there stops counting (relations.CENSORING): their last observation, or `freeze`.
    """
    table = tenures(ds, scope)
    if table.empty:
        raise MetricError(scope.nobody())
    return table


def tenures(ds: Dataset, scope: Scope) -> pd.DataFrame:
    """tenure_table for whatever the scope selects (every company when it names none), empty or not."""
    cutoff = scope.timestamp
    table = roster.lasting(ds, scope)
    long = roster.readings(ds, scope)
    columns = ["person_id", "name", "company", "cohort", "group", "status", "end_event", "end_reason", "interruptions",
               "start_mid", "end_lo", "end_hi", "end_mid", "seen_until",
               *[f"{s}_{k}" for s in SCENARIOS for k in ("days", "left", "entry")], "lower", "upper"]
    if long.empty:  # no one: no readings to spread out
        return pd.DataFrame(columns=columns)
    wide = long.pivot(index=["company", "person_id"], columns="reading",
                      values=["days", "left", "entry", "lower", "upper"])
    key = pd.MultiIndex.from_frame(table[["company", "person_id"]])
    for scenario in SCENARIOS:
        table[f"{scenario}_days"] = wide["days"][scenario].reindex(key).to_numpy(dtype=float)
        table[f"{scenario}_left"] = wide["left"][scenario].reindex(key).to_numpy(dtype=bool)
        table[f"{scenario}_entry"] = wide["entry"][scenario].reindex(key).to_numpy(dtype=float)
    for bound in ("lower", "upper"):
        table[bound] = wide[bound]["midpoint"].reindex(key).to_numpy(dtype=float)
    if scope.origin is not None:
        table["start_lo"] = table["start_hi"] = scope.origin_timestamp
    table["start_mid"] = _midpoint(table["start_lo"], table["start_hi"])
    table["end_mid"] = _midpoint(table["end_lo"], table["end_hi"])
    horizon = table["company_end"].where(table["company_end"] < cutoff, cutoff)  # relations.horizon, as a column
    table.loc[table["end_lo"] > horizon, ["end_lo", "end_hi", "end_mid"]] = pd.NaT
    return table[columns].sort_values(["company", "midpoint_days", "person_id"], ignore_index=True)


def fit_scenario(tenure: pd.DataFrame, scenario: str = "midpoint") -> pd.DataFrame:
    """Kaplan-Meier curve of one reading of the dates (see SCENARIOS) from a tenure table."""
    return estimators.curve(tenure[f"{scenario}_days"], tenure[f"{scenario}_left"], entry=tenure[f"{scenario}_entry"])


def fit_interval(tenure: pd.DataFrame) -> pd.DataFrame:
    """Turnbull NPMLE on a tenure table's [lower, upper] bounds (lifelines gives no confidence band for it)."""
    return estimators.turnbull(tenure["lower"], tenure["upper"])


def window_rate(tenure: pd.DataFrame, start: pd.Timestamp, stop: pd.Timestamp) -> tuple[int, float, int, int]:
    """Departures and person-years in [start, stop) from a tenure table (dates at midpoints): the
    departures counted, the person-years at risk, and the departures certainly and possibly inside.
    On a roster with late entry, a person's time counts only from the day observation began."""
    end = tenure["start_mid"] + pd.to_timedelta(tenure["midpoint_days"], unit="D")
    begin = tenure["start_mid"] + pd.to_timedelta(tenure["midpoint_entry"], unit="D")
    overlap = (end.clip(upper=stop) - begin.clip(lower=start)).dt.total_seconds().clip(lower=0) / 86400
    k = int((tenure["midpoint_left"] & (tenure["end_mid"] >= start) & (tenure["end_mid"] < stop)).sum())
    surely = int(((tenure["end_lo"] >= start) & (tenure["end_hi"] < stop)).sum())
    maybe = int(((tenure["end_hi"] >= start) & (tenure["end_lo"] < stop)).sum())
    return k, float(overlap.sum()) / 365.25, surely, maybe



def departures_by_year(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                       exclude: Iterable[str] = (), alpha: float = 0.05, years_per_row: int = 1) -> pd.DataFrame:
    """Departures per calendar year (or per block of `years_per_row` years), per person-year at risk,
    with an exact Poisson CI.

    `departures_lo`/`_hi` count departures certainly / possibly in the period; the rate uses the
    midpoint reading, as do person-years. The last period is cut at `as_of` (`partial_year`).
    """
    scope = Scope.of(ds, company, cohort, as_of, exclude)
    tenure = tenure_table(ds, scope)
    cutoff = scope.timestamp
    first = tenure["start_mid"].min().year // years_per_row * years_per_row
    rows = []
    for year in range(first, cutoff.year + 1, years_per_row):
        end_year = year + years_per_row
        y0, y1 = pd.Timestamp(year, 1, 1), min(pd.Timestamp(end_year, 1, 1), cutoff + pd.Timedelta(days=1))
        k, exposure, surely, maybe = window_rate(tenure, y0, y1)
        lo_ci, hi_ci = poisson_ci(k, alpha)
        rows.append({
            "year": year,
            "departures_lo": surely,
            "departures_hi": maybe,
            "departures_mid": k,
            "person_years": exposure,
            "rate": k / exposure if exposure else float("nan"),
            "rate_ci_lower": lo_ci / exposure if exposure else float("nan"),
            "rate_ci_upper": hi_ci / exposure if exposure else float("nan"),
            "partial_year": bool(y1 < pd.Timestamp(end_year, 1, 1)),
            "years": years_per_row,
        })
    return snap(pd.DataFrame(rows))


def compare_groups(a: pd.DataFrame, b: pd.DataFrame, scenario: str = "midpoint") -> dict[str, float]:
    """Log-rank test of two tenure tables (e.g. founders vs hires); small groups give little power."""
    from lifelines.statistics import logrank_test

    result = logrank_test(a[f"{scenario}_days"], b[f"{scenario}_days"], a[f"{scenario}_left"], b[f"{scenario}_left"])
    return {"test_statistic": snap_significant(result.test_statistic), "p_value": snap_significant(result.p_value),
            "n_a": len(a), "n_b": len(b), "left_a": int(a[f"{scenario}_left"].sum()), "left_b": int(b[f"{scenario}_left"].sum())}


def sensitivity_table(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                      exclude: Iterable[str] = (), years: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Median tenure and share gone by N years under every reading of the dates, side by side."""
    scope = Scope.of(ds, company, cohort, as_of, exclude)
    fits = [(tenure.scope_curves(ds, scope), SCENARIOS),
            (tenure.scope_curves(ds, replace(scope, censoring="freeze")), ("midpoint",))]
    rows = []
    for curves, readings in fits:
        median = tenure.medians(curves)
        gone = {y: tenure.values_at(curves, y * 365.25) for y in years}
        for scenario in readings:
            row = {"reading": scenario if len(readings) > 1 else
                   "midpoint, everyone still there followed to the as-of day",
                   "median_days_lo": median[scenario], "median_days_hi": median[scenario]}
            for y in years:
                row[f"gone_by_{y}y_lo"] = row[f"gone_by_{y}y_hi"] = 1 - gone[y][scenario]
            rows.append(row)
    npmle = tenure.scope_turnbull(ds, scope)
    lo, hi = estimators.turnbull_median(npmle)
    row = {"reading": "interval-censored", "median_days_lo": lo, "median_days_hi": hi}
    for y in years:
        s_lo, s_hi = estimators.turnbull_value_at(npmle, y * 365.25)
        row[f"gone_by_{y}y_lo"], row[f"gone_by_{y}y_hi"] = 1 - s_hi, 1 - s_lo
    rows.append(row)
    return pd.DataFrame(rows)


def founding_date_sensitivity(ds: Dataset, company: str, cohort: str = "founder", as_of: date | str | None = None,
                              exclude: Iterable[str] = (), milestone: str = "founded") -> pd.DataFrame:
    """Median time from each sourced founding date to leaving; a founding month gives a range."""
    scope = Scope.of(ds, company, cohort, as_of, exclude)
    versions = ds.milestones[(ds.milestones["company"] == company) & (ds.milestones["milestone_id"] == milestone)]
    if versions.empty:
        raise MetricError(f"no {milestone!r} milestone for {company} in milestones.csv")
    rows = []
    for v in versions.sort_values(["earliest", "source_id"]).itertuples():
        medians = [tenure.medians(tenure.scope_curves(ds, replace(scope, origin=day_number(o))))["midpoint"]
                   for o in (v.latest, v.earliest)]
        rows.append({"founding_version": v.label, "earliest": v.earliest, "latest": v.latest,
                     "source_id": v.source_id, "median_days_lo": medians[0], "median_days_hi": medians[1]})
    return pd.DataFrame(rows)


def departed_share_series(ds: Dataset, company: str, cohort: str | None = None, exclude: Iterable[str] = (),
                          start: date | str | None = None, end: date | str | None = None) -> pd.DataFrame:
    """departed_share lo/hi from `start` (default: first join) to `end` (default: freeze date).

    One row per day on which the value can change (a date bound of someone in the cohort), to be
    drawn as a step function; the last row is `end`. Each day's value is departed_share's own: the
    spells as of every day are made in one query (`tables.prepare_days`) and counted by the same
    `relations.departure_bounds`, grouped by day.
    """
    scope = Scope.of(ds, company, cohort, end, exclude)
    latest = roster.latest_spells(ds, scope)
    first = pd.Timestamp(start) if start is not None else latest["start_hi"].min()
    last = scope.timestamp
    bounds = pd.concat([latest[c] for c in ("start_lo", "start_hi", "end_lo", "end_hi")]).dropna()
    days = sorted({first, last, *bounds[(bounds > first) & (bounds < last)]})
    numbers = [day_number(day) for day in days]
    frame = departures.departed_by_day(ds, scope, numbers).set_index("as_of")
    frame = frame.reindex(numbers)
    if frame["den_hi"].isna().any() or (frame["den_hi"] == 0).any():
        missing = frame.index[frame["den_hi"].isna() | (frame["den_hi"] == 0)][0]
        raise MetricError(scope.on(int(missing)).nobody())
    return pd.DataFrame({"date": pd.to_datetime(days), "lo": frame["share_lo"].to_numpy(dtype=float),
                         "hi": frame["share_hi"].to_numpy(dtype=float)})
