"""Survival analysis of tenure with lifelines: who is still there, how long people stay, how sure we are.

A person still at the company on the as-of date is a censored observation, not a missing one. Date
uncertainty is carried three ways: an exact fit on the midpoints of every date interval; two bracket
fits that read every date so as to make tenures as short, or as long, as the sources allow; and an
interval-censored fit (Turnbull NPMLE) on [lower, upper] tenure bounds. lifelines is imported inside
the functions so that commands which do not need it stay quick.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from attrition.dataset import Dataset
from attrition.metrics import PLURAL, MetricError, MetricResult, check_scope, cohort_spells
from attrition.rates import poisson_ci
from attrition.tables import as_of_timestamp, spells, with_status
from attrition.text import days_and_years

SCENARIOS = ("midpoint", "shortest", "longest")
INTERRUPTION_DAYS = 180
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


def tenure_table(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                 exclude: Iterable[str] = (), origin: date | str | None = None) -> pd.DataFrame:
    """Time from joining to first leaving (days), per person, censored at `as_of`, in every reading.

    For each scenario in SCENARIOS there is a `<scenario>_days` duration and a `<scenario>_left`
    flag; `lower` and `upper` bound the tenure for the interval-censored fit (upper is inf while
    the person may still be there). `origin`, if given, replaces every join date: use it to
    measure time since a founding date instead of since each person's own join.
    """
    excluded = check_scope(ds, company, cohort, exclude)
    cutoff = as_of_timestamp(ds, as_of)
    table = spells(ds, as_of)
    table = table[(table["company"] == company) & ~table["person_id"].isin(excluded)]
    if cohort is not None:
        table = table[table["cohort"] == cohort]
    table = _first_lasting_departure(table, cutoff)
    if table.empty:
        raise MetricError(f"no {PLURAL[cohort]} of {company} had joined by {cutoff.date()}")
    if origin is not None:
        table["start_lo"] = table["start_hi"] = pd.Timestamp(origin)
    readings = {
        "midpoint": (_midpoint(table["start_lo"], table["start_hi"]), _midpoint(table["end_lo"], table["end_hi"])),
        "shortest": (table["start_hi"], table["end_lo"]),
        "longest": (table["start_lo"], table["end_hi"]),
    }
    for name, (start, end) in readings.items():
        left = end.notna() & (end <= cutoff)
        stop = end.where(left, cutoff)
        table[f"{name}_days"] = ((stop - start).dt.total_seconds() / 86400).clip(lower=0)
        table[f"{name}_left"] = left.astype(bool)
    table["lower"] = table["tenure_lo_days"].astype(float)
    table["upper"] = np.where(table["status"] == "departed", table["tenure_hi_days"].astype(float), np.inf)
    table["start_mid"], table["end_mid"] = readings["midpoint"]
    table.loc[table["end_lo"] > cutoff, ["end_lo", "end_hi", "end_mid"]] = pd.NaT
    columns = ["person_id", "name", "company", "cohort", "status", "end_event", "interruptions", "start_mid", "end_lo",
               "end_hi", "end_mid",
               *[f"{s}_{k}" for s in SCENARIOS for k in ("days", "left")], "lower", "upper"]
    return table[columns].sort_values(["midpoint_days", "person_id"], ignore_index=True)


def _first_lasting_departure(table: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row per person (spell 1, joined by `cutoff`) whose end is their first lasting departure.

    Spell ends followed by a return within INTERRUPTION_DAYS are skipped; `interruptions` counts them.
    """
    rows = []
    for _, person in table.sort_values(["person_id", "spell"]).groupby(["person_id", "company"], sort=True):
        first = person.iloc[0].copy()
        if first["spell"] != 1 or first["joined"] != "yes":
            continue
        first["interruptions"] = 0
        for i in range(len(person)):
            spell = person.iloc[i]
            nxt = person.iloc[i + 1] if i + 1 < len(person) else None
            if pd.isna(spell["end_lo"]) or (nxt is not None and (nxt["start_lo"] - spell["end_hi"]).days <= INTERRUPTION_DAYS):
                first["interruptions"] += 0 if pd.isna(spell["end_lo"]) else 1
                if nxt is None:
                    first[["end_event", "end_lo", "end_hi", "end_conflict", "end_sources"]] = ["", pd.NaT, pd.NaT, False, ""]
                continue
            first[["end_event", "end_lo", "end_hi", "end_conflict", "end_sources"]] = spell[
                ["end_event", "end_lo", "end_hi", "end_conflict", "end_sources"]].to_numpy()
            break
        rows.append(first)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for column in ("end_lo", "end_hi"):
        out[column] = pd.to_datetime(out[column])
    return with_status(out, cutoff)


def fit_km(durations: Iterable[float], observed: Iterable[bool], label: str = "KM_estimate", alpha: float = 0.05):
    """Kaplan-Meier fit (lifelines) with Greenwood's exponential ('log-log') confidence band."""
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=alpha, label=label).fit(list(durations), list(observed))


def fit_scenario(tenure: pd.DataFrame, scenario: str = "midpoint", label: str | None = None):
    """Kaplan-Meier fit of one reading of the dates (see SCENARIOS)."""
    return fit_km(tenure[f"{scenario}_days"], tenure[f"{scenario}_left"], label=label or scenario)


def departed_band_at(kmf, days: float) -> tuple[float, float]:
    """95% band of the share gone by `days`, from the Kaplan-Meier survival band."""
    band = kmf.confidence_interval_survival_function_
    row = band[band.index <= days].iloc[-1]
    return 1 - float(row.iloc[1]), 1 - float(row.iloc[0])


def fit_interval(tenure: pd.DataFrame, label: str = "interval-censored"):
    """Turnbull NPMLE on [lower, upper] tenure bounds. lifelines gives no confidence band for it."""
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(label=label).fit_interval_censoring(tenure["lower"], tenure["upper"])


def scenario_median(kmf) -> float | None:
    value = float(kmf.median_survival_time_)
    return None if math.isinf(value) else value


def median_ci(kmf) -> tuple[float | None, float | None]:
    """95% CI of the Kaplan-Meier median (lifelines' median_survival_times on the band)."""
    from lifelines.utils import median_survival_times

    lo, hi = median_survival_times(kmf.confidence_interval_).iloc[0]
    return tuple(None if math.isinf(v) else float(v) for v in (lo, hi))


def interval_survival_at(kmf, days: float) -> tuple[float, float]:
    """Bounds of the NPMLE survival at `days`.

    lifelines draws this estimate with steps-pre: the row at Turnbull point t gives S on
    (previous point, t]. So S(days) is the first row at or after `days`.
    """
    sf = kmf.survival_function_
    after = sf[sf.index >= days]
    row = after.iloc[0] if len(after) else sf.iloc[-1]
    return float(row.min()), float(row.max())


def interval_median(kmf) -> list[float | None]:
    """The NPMLE median as [lower, upper] days; None where that bound of S never reaches 0.5.

    With steps-pre rows, S first drops to 0.5 or below just after the point preceding the first
    row at or below 0.5, so that preceding point is the median.
    """
    sf = kmf.survival_function_
    bounds = []
    for column in sorted(sf.columns, key=lambda c: sf[c].sum()):
        below = [i for i, v in enumerate(sf[column]) if v <= 0.5]
        bounds.append(None if not below else float(sf.index[max(below[0] - 1, 0)]))
    return bounds


def median_tenure(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                  exclude: Iterable[str] = ()) -> MetricResult:
    """Median time to leaving (Kaplan-Meier); "not reached" while fewer than half have left."""
    tenure = tenure_table(ds, company, cohort, as_of, exclude)
    fits = {s: fit_scenario(tenure, s) for s in SCENARIOS}
    medians = {s: scenario_median(f) for s, f in fits.items()}
    ci = median_ci(fits["midpoint"])
    npmle = interval_median(fit_interval(tenure))
    lo, hi = medians["shortest"], medians["longest"]
    cutoff = as_of_timestamp(ds, as_of).date()
    if lo == hi:
        value_text = days_and_years(lo)
    else:
        value_text = f"{days_and_years(lo)} to {days_and_years(hi)}"
    text = (f"median tenure of {company} {PLURAL[cohort]}: {value_text} as of {cutoff} "
            f"(midpoint fit {days_and_years(medians['midpoint'])}, 95% CI {days_and_years(ci[0])} to {days_and_years(ci[1])}; "
            f"n={len(tenure)}, {int(tenure['midpoint_left'].sum())} left)")
    return MetricResult(
        metric="median_tenure", company=company, cohort=cohort, as_of=cutoff.isoformat(),
        lo=lo, hi=hi, unit="days", text=text,
        person_ids={"counted": sorted(tenure["person_id"]), "left": sorted(tenure.loc[tenure["midpoint_left"], "person_id"])},
        excluded=sorted(set(exclude)),
        details={"midpoint": medians["midpoint"], "ci_lower": ci[0], "ci_upper": ci[1], "interval_censored": npmle,
                 "not_reached_means": "fewer than half had left in that reading of the dates"},
    )


def share_departed_by_tenure(ds: Dataset, company: str, days: int, cohort: str | None = None,
                             as_of: date | str | None = None, exclude: Iterable[str] = ()) -> MetricResult:
    """Estimated share who leave within `days` of joining: 1 - S(days) from Kaplan-Meier."""
    if days < 0:
        raise MetricError("--days must be zero or more")
    tenure = tenure_table(ds, company, cohort, as_of, exclude)
    fits = {s: fit_scenario(tenure, s) for s in SCENARIOS}
    share = {s: 1 - float(f.survival_function_at_times([days]).iloc[0]) for s, f in fits.items()}
    ci = departed_band_at(fits["midpoint"], days)
    npmle = interval_survival_at(fit_interval(tenure), days)
    lo, hi = share["longest"], share["shortest"]
    cutoff = as_of_timestamp(ds, as_of).date()
    span = f"{lo:.1%}" if lo == hi else f"{lo:.1%} to {hi:.1%}"
    text = (f"{span} of {company} {PLURAL[cohort]} left within {days:,} days of joining, as of {cutoff} "
            f"(midpoint fit {share['midpoint']:.1%}, 95% CI {ci[0]:.1%} to {ci[1]:.1%}; n={len(tenure)})")
    return MetricResult(
        metric="share_departed_by_tenure", company=company, cohort=cohort, as_of=cutoff.isoformat(),
        lo=lo, hi=hi, unit="share", text=text,
        person_ids={"counted": sorted(tenure["person_id"])}, excluded=sorted(set(exclude)),
        details={"days": days, "midpoint": share["midpoint"], "ci_lower": ci[0], "ci_upper": ci[1],
                 "interval_censored": [1 - npmle[1], 1 - npmle[0]]},
    )


def departure_rank(ds: Dataset, company: str, person: str, cohort: str | None = None,
                   as_of: date | str | None = None) -> MetricResult:
    """Where a person's departure falls in the order of their cohort's departures (1 = first to leave).

    A range where dates overlap: `lo` counts only those certainly gone earlier, `hi` everyone who
    may have gone earlier or on the same day.
    """
    people = ds.people[(ds.people["company"] == company) & (ds.people["person_id"] == person)]
    if people.empty:
        raise MetricError(f"no person {person!r} at {company}")
    cohort = cohort or people["cohort"].iloc[0]
    table = cohort_spells(ds, company, cohort, as_of)
    gone = table[table["status"] != "active"]
    me = gone[gone["person_id"] == person]
    cutoff = as_of_timestamp(ds, as_of).date()
    if me.empty:
        raise MetricError(f"{person} had not left {company} as of {cutoff}, so has no departure rank")
    me = me.iloc[0]
    others = gone[gone["person_id"] != person]
    before = others[others["end_hi"] < me["end_lo"]]
    maybe = others[(others["end_lo"] <= me["end_hi"]) & ~others.index.isin(before.index)]
    lo, hi = len(before) + 1, len(before) + len(maybe) + 1
    ordinal = lambda n: f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
    rank = ordinal(lo) if lo == hi else f"{ordinal(lo)} to {ordinal(hi)}"
    text = f"{me['name']} was the {rank} of {len(table)} {company} {PLURAL[cohort]} to leave (as of {cutoff})"
    return MetricResult(
        metric="departure_rank", company=company, cohort=cohort, as_of=cutoff.isoformat(),
        lo=lo, hi=hi, unit="rank", text=text,
        denominator={"lo": len(table), "hi": len(table)},
        person_ids={"earlier": sorted(before["person_id"]), "maybe_earlier": sorted(maybe["person_id"])},
        details={"person": person},
    )


def departures_by_year(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                       exclude: Iterable[str] = (), alpha: float = 0.05) -> pd.DataFrame:
    """Departures per calendar year, per person-year at risk, with an exact Poisson CI.

    `departures_lo`/`_hi` count departures certainly / possibly in the year; the rate uses the
    midpoint reading, as do person-years. The last year is cut at `as_of` (`partial_year`).
    """
    tenure = tenure_table(ds, company, cohort, as_of, exclude)
    cutoff = as_of_timestamp(ds, as_of)
    start = tenure["start_mid"]
    stop = start + pd.to_timedelta(tenure["midpoint_days"], unit="D")
    rows = []
    for year in range(start.min().year, cutoff.year + 1):
        y0, y1 = pd.Timestamp(year, 1, 1), min(pd.Timestamp(year + 1, 1, 1), cutoff + pd.Timedelta(days=1))
        overlap_days = (stop.clip(upper=y1) - start.clip(lower=y0)).dt.total_seconds().clip(lower=0) / 86400
        exposure = float(overlap_days.sum()) / 365.25
        k = int((tenure["midpoint_left"] & (tenure["end_mid"] >= y0) & (tenure["end_mid"] < y1)).sum())
        lo_ci, hi_ci = poisson_ci(k, alpha)
        rows.append({
            "year": year,
            "departures_lo": int(((tenure["end_lo"] >= y0) & (tenure["end_hi"] < y1)).sum()),
            "departures_hi": int(((tenure["end_hi"] >= y0) & (tenure["end_lo"] < y1)).sum()),
            "departures_mid": k,
            "person_years": exposure,
            "rate": k / exposure if exposure else float("nan"),
            "rate_ci_lower": lo_ci / exposure if exposure else float("nan"),
            "rate_ci_upper": hi_ci / exposure if exposure else float("nan"),
            "partial_year": bool(y1 < pd.Timestamp(year + 1, 1, 1)),
        })
    return pd.DataFrame(rows)


def compare_groups(a: pd.DataFrame, b: pd.DataFrame, scenario: str = "midpoint") -> dict[str, float]:
    """Log-rank test of two tenure tables (e.g. founders vs hires); small groups give little power."""
    from lifelines.statistics import logrank_test

    result = logrank_test(a[f"{scenario}_days"], b[f"{scenario}_days"], a[f"{scenario}_left"], b[f"{scenario}_left"])
    return {"test_statistic": float(result.test_statistic), "p_value": float(result.p_value),
            "n_a": len(a), "n_b": len(b), "left_a": int(a[f"{scenario}_left"].sum()), "left_b": int(b[f"{scenario}_left"].sum())}


def sensitivity_table(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                      exclude: Iterable[str] = (), years: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Median tenure and share gone by N years under every reading of the dates, side by side."""
    tenure = tenure_table(ds, company, cohort, as_of, exclude)
    rows = []
    for scenario in SCENARIOS:
        kmf = fit_scenario(tenure, scenario)
        row = {"reading": scenario, "median_days_lo": scenario_median(kmf), "median_days_hi": scenario_median(kmf)}
        for y in years:
            gone = 1 - float(kmf.survival_function_at_times([y * 365.25]).iloc[0])
            row[f"gone_by_{y}y_lo"] = row[f"gone_by_{y}y_hi"] = gone
        rows.append(row)
    kmf = fit_interval(tenure)
    lo, hi = interval_median(kmf)
    row = {"reading": "interval-censored", "median_days_lo": lo, "median_days_hi": hi}
    for y in years:
        s_lo, s_hi = interval_survival_at(kmf, y * 365.25)
        row[f"gone_by_{y}y_lo"], row[f"gone_by_{y}y_hi"] = 1 - s_hi, 1 - s_lo
    rows.append(row)
    return pd.DataFrame(rows)


def founding_date_sensitivity(ds: Dataset, company: str, cohort: str = "founder", as_of: date | str | None = None,
                              exclude: Iterable[str] = (), milestone: str = "founded") -> pd.DataFrame:
    """Median time from each sourced founding date to leaving; a founding month gives a range."""
    versions = ds.milestones[(ds.milestones["company"] == company) & (ds.milestones["milestone_id"] == milestone)]
    if versions.empty:
        raise MetricError(f"no {milestone!r} milestone for {company} in milestones.csv")
    rows = []
    for v in versions.sort_values(["earliest", "source_id"]).itertuples():
        medians = [scenario_median(fit_scenario(tenure_table(ds, company, cohort, as_of, exclude, origin=o)))
                   for o in (v.latest, v.earliest)]
        rows.append({"founding_version": v.label, "earliest": v.earliest, "latest": v.latest,
                     "source_id": v.source_id, "median_days_lo": medians[0], "median_days_hi": medians[1]})
    return pd.DataFrame(rows)
