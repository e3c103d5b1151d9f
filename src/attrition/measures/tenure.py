"""How long people stay: the median tenure and the share gone by a tenure, fitted on one scope's life table.

Date uncertainty is carried three ways: an exact fit on the midpoints of every date interval; two bracket fits
that read every date so as to make tenures as short, or as long, as the sources allow; and an interval-censored
fit (Turnbull NPMLE) on [lower, upper] tenure bounds. Everything here works on columns of numbers
(`attrition.core.life`, `attrition.measures.estimators`), so these metrics never load pandas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

import numpy as np

from attrition.core import departures, life
from attrition.core.scope import Scope
from attrition.days import tenure_days
from attrition.io.dataset import Dataset
from attrition.measures import estimators
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL, cohort_noun, days_and_years, range_text, tenure_range


def scope_curves(ds: Dataset, scope: Scope) -> estimators.Columns:
    """Kaplan-Meier curves of one company's scope in every reading of the dates (each reading's group code is
    `life.CODE`'s), from its life table; an error when no one is in it."""
    table = life.life_table(ds, scope)
    if not len(table):
        raise MetricError(no_one_followed(ds, scope))
    return estimators.fit(table["reading"], table["days"], table["events"], table["censored"], table["entered"])


def scope_turnbull(ds: Dataset, scope: Scope) -> estimators.Columns:
    """The interval-censored fit of one company's scope, on its unique [lower, upper] bounds with counts; an error
    when no one is in it."""
    bounds = life.interval_bounds(ds, scope)
    if not len(bounds):
        raise MetricError(no_one_followed(ds, scope))
    return estimators.turnbull_fit(bounds["lower"], bounds["upper"], bounds["n"])


def no_one_followed(ds: Dataset, scope: Scope) -> str:
    """Why a scope has no one to fit: no one had joined by its day, or those who had were not yet observed (late
    entry: the data follows them from a later day)."""
    (_, _, joined_lo, joined_hi, _, _), _ = departures.departed(ds, scope)
    if not joined_hi:
        return scope.nobody()
    return (f"{range_text(joined_lo, joined_hi)} {cohort_noun(scope.cohort, joined_lo, joined_hi)} of {scope.company} had joined by {scope.date}, "
            "but the data follows them only from a later day: no one was observed then")


def _by_reading(values: np.ndarray) -> dict[str, float | None]:
    """A reader's values per group code of `scope_curves` (`estimators.first_below`, `value_on`), by reading;
    None where there is none (a median not reached)."""
    return {reading: None if math.isnan(values[code]) else float(values[code]) for reading, code in life.CODE.items()}


def medians(curves: estimators.Columns, column: str = "survival") -> dict[str, float | None]:
    """Each reading's median (the first day its `column` drops to one half), None where it is not reached."""
    return _by_reading(estimators.first_below(curves, column=column, codes=len(life.READINGS)))


def values_at(curves: estimators.Columns, days: float, column: str = "survival") -> dict[str, float | None]:
    """Each reading's `column` at `days` (its last time on or before it); None in a reading that follows no one
    (late entry: everyone left, in that reading, before they were first observed)."""
    return _by_reading(estimators.value_on(curves, days, column, len(life.READINGS)))


def follow_everyone(ds: Dataset, scope: Scope, curves: estimators.Columns, what: str) -> None:
    """An error naming the first reading of the dates that follows no one (late entry: everyone had left, in that
    reading, before they were first observed), where `what` needs every reading."""
    present = np.zeros(len(life.READINGS), dtype=bool)
    present[curves["group"]] = True
    missing = [reading for reading, code in life.CODE.items() if not present[code]]
    if missing:
        raise MetricError(f"{noun(ds, scope)}: in the {missing[0]} reading of the dates, everyone had left before "
                          f"they were first observed, so there is no {what} to give")


def reading_range(values: Iterable[float | None]) -> tuple[float | None, float | None]:
    """The lowest and highest of a value over the readings of the dates, None standing for a median not reached
    (no end). Without late entry the shortest and the longest readings bound the others; with it a reading can
    lose the people it has gone before they were first observed, and the readings need not be in order."""
    ends = [math.inf if value is None else value for value in values]
    lo, hi = min(ends), max(ends)
    return None if lo == math.inf else lo, None if hi == math.inf else hi


def noun(ds: Dataset, scope: Scope) -> str:
    """Who a survival sentence is about: the company's name, the cohort and the group."""
    return f"{ds.company_names[scope.company]} {PLURAL[scope.cohort]}" + (f" in group {scope.group}" if scope.group else "")


def median_tenure(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                  exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Median time to leaving (Kaplan-Meier); "not reached" while fewer than half have left.

    Everyone still there is followed to their last observation; the median with everyone followed
    to the as-of day is given too, and named in the text where it differs.
    """
    scope = Scope.of(ds, company, cohort, as_of, exclude, group)
    curves = scope_curves(ds, scope)
    follow_everyone(ds, scope, curves, "median")
    median = medians(curves)
    ci = (medians(curves, "lower")["midpoint"], medians(curves, "upper")["midpoint"])
    npmle = estimators.turnbull_median(scope_turnbull(ds, scope))
    freeze = medians(scope_curves(ds, replace(scope, censoring="freeze")))["midpoint"]
    people = life.followed(ds, scope)
    lo, hi = reading_range(median.values())
    cutoff = scope.date
    differs = "" if freeze == median["midpoint"] else (
        f"; counting everyone still there up to {cutoff} instead of to their last observation: {days_and_years(freeze)}")
    text = (f"median tenure of {noun(ds, scope)}: {tenure_range(lo, hi)} as of {cutoff} "
            f"(midpoint fit {days_and_years(median['midpoint'])}, 95% CI {tenure_range(*ci)}; "
            f"n={len(people['counted'])}, {len(people['left'])} left{differs})")
    return MetricResult(
        metric="median_tenure", company=company, cohort=cohort, as_of=cutoff.isoformat(),
        lo=lo, hi=hi, unit="days", text=text,
        person_ids=people,
        excluded=list(scope.exclude),
        details={"midpoint": median["midpoint"], "ci_lower": ci[0], "ci_upper": ci[1], "interval_censored": npmle,
                 "midpoint_followed_to_as_of": freeze,
                 "not_reached_means": "fewer than half had left in that reading of the dates"},
    )


def interval_median(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                    exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Days until half had left when every date is taken as the range its sources allow (Turnbull's
    interval-censored fit): the range of medians the fit allows. No band: lifelines gives none for it."""
    scope = Scope.of(ds, company, cohort, as_of, exclude, group)
    lo, hi = estimators.turnbull_median(scope_turnbull(ds, scope))
    cutoff = scope.date
    text = f"interval-censored median tenure of {noun(ds, scope)}: {tenure_range(lo, hi)} as of {cutoff}"
    return MetricResult(metric="interval_median", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=lo,
                        hi=hi, unit="days", text=text, excluded=list(scope.exclude))


def share_departed_by_tenure(ds: Dataset, company: str, days: float, cohort: str | None = None,
                             as_of: date | str | None = None, exclude: Iterable[str] = (),
                             group: str | None = None, censoring: str = "observed") -> MetricResult:
    """Estimated share who leave within `days` of joining: 1 - S(days) from Kaplan-Meier.

    The range is over the readings of uncertain dates; `censoring` says how long people still there
    count (relations.CENSORING: to their last sighting, or to the as-of day).
    """
    number = tenure_days(days)
    if number is None:
        raise MetricError(f"days must be a number from 0 to 73,050 (200 years), not {days}")
    days = number
    scope = Scope.of(ds, company, cohort, as_of, exclude, group, censoring)
    curves = scope_curves(ds, scope)
    follow_everyone(ds, scope, curves, "share")
    share = {reading: 1 - value for reading, value in values_at(curves, days).items()}
    ci = (1 - values_at(curves, days, "upper")["midpoint"], 1 - values_at(curves, days, "lower")["midpoint"])
    npmle = estimators.turnbull_value_at(scope_turnbull(ds, scope), days)
    people = life.followed(ds, replace(scope, censoring="observed"))
    lo, hi = reading_range(share.values())
    cutoff = scope.date
    span = f"{lo:.1%}" if lo == hi else f"{lo:.1%} to {hi:.1%}"
    text = (f"{span} of {noun(ds, scope)} left within {days:,g} days of joining, as of {cutoff} "
            f"(midpoint fit {share['midpoint']:.1%}, 95% CI {ci[0]:.1%} to {ci[1]:.1%}; n={len(people['counted'])})")
    return MetricResult(
        metric="share_departed_by_tenure", company=company, cohort=cohort, as_of=cutoff.isoformat(),
        lo=lo, hi=hi, unit="share", text=text,
        person_ids={"counted": people["counted"]}, excluded=list(scope.exclude),
        details={"days": days, "censoring": censoring, "midpoint": share["midpoint"], "ci_lower": ci[0], "ci_upper": ci[1],
                 "interval_censored": [1 - npmle[1], 1 - npmle[0]]},
    )
