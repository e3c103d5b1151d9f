"""Retention by start cohort: of the people who started in each year (or quarter, or decade), the share still
there one, two and three years after joining, with 95% intervals: the grid venture data providers publish
for founders and HR teams for hires.

Each cohort's share is the Kaplan-Meier estimate on the survival curves' own tenures (first lasting
departures, date midpoints, each person followed to their last observation, late entry honoured), so a
cohort whose people were not all followed N years still gets a share, and a cohort no one in which was
followed N years gets none ("not yet").
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from attrition.core.scope import Scope
from attrition.days import calendar_date
from attrition.io.dataset import Dataset
from attrition.measures import estimators
from attrition.precision import snap
from attrition.measures.survival import tenure_table
from attrition.result import MetricResult
from attrition.text import PLURAL

UNITS = ("quarter", "year", "decade")


def cohort_unit(span_years: float) -> str:
    """Cohorts by quarter over a short history (up to 5 years), by year up to 50 years, else by decade."""
    return "quarter" if span_years <= 5 else "year" if span_years <= 50 else "decade"


def _period(days: pd.Series, unit: str) -> tuple[pd.Series, pd.Series]:
    """Each day's cohort: its label (2015 Q1, 2015, 1990s) and first day."""
    if unit == "quarter":
        quarter = days.dt.to_period("Q")
        return quarter.astype(str).str.replace("Q", " Q"), quarter.dt.start_time
    years = days.dt.year if unit == "year" else days.dt.year // 10 * 10
    start = pd.to_datetime(years.astype(str) + "-01-01")
    return (years.astype(str) if unit == "year" else years.astype(str) + "s"), start


def _curves(tenure: pd.DataFrame, key: str) -> pd.DataFrame:
    """Kaplan-Meier curves (midpoint reading) per value of column `key`, with late entry."""
    seen = tenure[tenure["midpoint_entry"] <= tenure["midpoint_days"]]
    left = seen["midpoint_left"].astype(np.int64)
    removals = seen.assign(events=left, censored=1 - left).groupby([key, "midpoint_days"], observed=True)[
        ["events", "censored"]].sum().rename_axis([key, "days"])
    entries = seen.groupby([key, "midpoint_entry"], observed=True).size().rename("entered").rename_axis([key, "days"])
    life = removals.join(entries, how="outer").fillna(0).astype("int64").reset_index()
    return estimators.kaplan_meier(life, [key])


def retention(tenure: pd.DataFrame, key: str, at_years: tuple[float, ...]) -> pd.DataFrame:
    """Per value of `key`: people, how many left, the longest follow-up (`followed_days`), and for each of `at_years` the share still there (`still_Ny`) with its 95%
    band (`still_Ny_lower`, `_upper`); NaN where no one in the group was followed that long, or where no one
    in it was observed from joining (a register that began after they all joined can say only how many of
    those still there then stayed on)."""
    curves = _curves(tenure, key)
    groups = tenure.groupby(key, observed=True)
    table = pd.DataFrame({"people": groups.size(), "left": groups["midpoint_left"].sum().astype(int),
                          "followed_days": groups["midpoint_days"].max()})
    followed, shortest = groups["midpoint_days"].max(), groups["midpoint_days"].min()
    from_start = groups["midpoint_entry"].min() == 0
    for years in at_years:
        days, name = years * 365.25, f"still_{years:g}y"
        observed = (followed >= days) & from_start
        for column, suffix in (("survival", ""), ("lower", "_lower"), ("upper", "_upper")):
            table[name + suffix] = estimators.value_at(curves, days, column, [key]).reindex(table.index).where(observed)
        # No one left by then: Kaplan-Meier's own band has no width, so the exact (Clopper-Pearson) interval for
        # all still there of those followed that long applies (everyone, or fewer and so wider when some were
        # followed less; as in peers.survival_table).
        exact = observed & (table[name] == 1)
        at_risk = tenure[tenure["midpoint_days"] >= days].groupby(key, observed=True).size()
        at_risk = at_risk.reindex(table.index, fill_value=0).where(shortest < days, table["people"])
        table.loc[exact, name + "_lower"] = estimators.all_alike_bound(at_risk[exact])
    return snap(table.reset_index())


def cohort_table(ds: Dataset, company: str, cohort: str | None = None, at_years: tuple[float, ...] = (1, 2, 3),
                 as_of: date | str | None = None, unit: str | None = None) -> tuple[pd.DataFrame, str]:
    """The retention grid of one company: one row per start period (label, first day, people, left, and
    `still_Ny` with bands per year), and the unit (quarter, year or decade; chosen by the roster's span)."""
    scope = Scope.of(ds, company, cohort, as_of)
    tenure = tenure_table(ds, scope)
    span = (pd.Timestamp(scope.date) - tenure["start_mid"].min()).days / 365.25
    unit = unit or cohort_unit(span)
    label, start = _period(tenure["start_mid"], unit)
    table = retention(tenure.assign(period=label), "period", at_years)
    firsts = pd.Series(start.to_numpy(), index=label.to_numpy()).groupby(level=0).min()
    table.insert(1, "start", table["period"].map(firsts))
    return table.sort_values("start", ignore_index=True), unit


def cohort_retention(ds: Dataset, company: str, start: date | str, end: date | str,
                     at_years: tuple[float, ...] | str = (1,), cohort: str | None = None,
                     as_of: date | str | None = None) -> MetricResult:
    """The share of the people who joined between `start` and `end` (date midpoints) still there N years after
    joining (Kaplan-Meier), with the 95% interval in details: one cell of the retention grid."""
    from attrition.measures.lab_shares import parse_years

    scope = Scope.of(ds, company, cohort, as_of)
    (years,) = parse_years(at_years)[:1]
    tenure = tenure_table(ds, scope)
    first, last = pd.Timestamp(calendar_date(start)), pd.Timestamp(calendar_date(end))
    chosen = tenure[(tenure["start_mid"] >= first) & (tenure["start_mid"] < last + pd.Timedelta(days=1))]
    cutoff = scope.date
    who = f"{PLURAL[cohort]} of {ds.company_names[company]} who joined from {start} to {end}"
    if chosen.empty:
        return MetricResult(metric="cohort_retention", company=company, cohort=cohort, as_of=cutoff.isoformat(),
                            lo=None, hi=None, unit="share", text=f"no {who}")
    row = retention(chosen.assign(all=True), "all", (years,)).iloc[0]
    key = f"still_{years:g}y"
    window = {"start": str(start), "end": str(end)}
    if pd.isna(row[key]):
        return MetricResult(metric="cohort_retention", company=company, cohort=cohort, as_of=cutoff.isoformat(),
                            lo=None, hi=None, unit="share", window=window,
                            text=f"none of the {len(chosen):,} {who} was followed {years:g} years by {cutoff}")
    share, low, high = float(row[key]), float(row[f"{key}_lower"]), float(row[f"{key}_upper"])
    return MetricResult(metric="cohort_retention", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=share,
                        hi=share, unit="share", window=window,
                        text=(f"{share:.0%} of the {len(chosen):,} {who} were still there {years:g} year"
                              f"{'s' if years != 1 else ''} after joining (95% interval {low:.0%} to {high:.0%}), "
                              f"as of {cutoff}"),
                        denominator={"lo": len(chosen), "hi": len(chosen)},
                        details={"years": years, "ci_lower": low, "ci_upper": high})
