"""Which of two groups leaves (or joins) faster, with the direction and its test in one computation.

`hazard_ratio` compares two groups' time to leaving. It uses Peto's one-step estimate, exp((O - E) / V),
built from the same observed (O) and expected (E) departures and variance (V) as the log-rank test,
so its 95% interval excludes 1 exactly when the test's p-value is below 0.05: the direction a
sentence names and the test beside it can never disagree. `event_rate_ratio` compares two calendar
windows of one group: departures per person-year at risk, or joins per day, with the exact
conditional test of two Poisson counts (attrition.measures.rates). The windows' counts come from the engine
(`core.departures.leavers_in_windows`, `joins_in_windows`), so `event_rate_ratio` needs no pandas; the hazard
ratio reads tenure tables and imports them, and the estimators, where it does.

Both return the 95% interval of the ratio as the metric's range (`lo`, `hi`), the range of values
the data allow; the estimate and the test are in `details`. A claim read `less_than 1` is then
"clearly slower", `more_than 1` "clearly faster", `includes 1` "no clear difference".
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from attrition.core import departures
from attrition.core.scope import Scope
from attrition.days import calendar_date, day_number
from attrition.io.dataset import Dataset
from attrition.measures.rates import rate_ratio_test
from attrition.precision import snap, snap_significant
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL, p_value_text, possessive

if TYPE_CHECKING:
    import pandas as pd


def logrank(days_a, left_a, days_b, left_b, alpha: float = 0.05, entry_a=None, entry_b=None) -> dict[str, float]:
    """The two-group log-rank test with Peto's hazard ratio of group a against group b and its interval.

    Returns observed and expected departures of each group, the variance, the estimate, the 95%
    interval (`ci_lower`, `ci_upper`) and the p-value (chi-square with one degree of freedom, as
    lifelines' logrank_test gives it). With no departure at all, the ratio is undefined (NaN).
    `entry_a`, `entry_b` (days) are when each person entered the risk set on a roster with late entry:
    at risk at t is everyone who entered before t and had not gone before t, as in the survival curves.
    """
    from attrition.measures.estimators import z_value  # with pandas, which only the hazard ratio's tables need

    entries = [np.zeros(len(d)) if e is None else np.asarray(e, float) for d, e in ((days_a, entry_a), (days_b, entry_b))]
    days = np.concatenate([np.asarray(days_a, float), np.asarray(days_b, float)])
    left = np.concatenate([np.asarray(left_a, bool), np.asarray(left_b, bool)])
    entry = np.concatenate(entries)
    seen = entry <= days
    in_a = np.r_[np.ones(len(days_a), bool), np.zeros(len(days_b), bool)]
    days, left, entry, in_a = days[seen], left[seen], entry[seen], in_a[seen]
    times = np.unique(days[left])

    def risk(chosen: np.ndarray) -> np.ndarray:
        later = entry[chosen & (entry > 0)]
        return (chosen.sum() - np.searchsorted(np.sort(days[chosen]), times, "left")
                - (len(later) - np.searchsorted(np.sort(later), times, "left")))

    at_risk, at_risk_a = risk(np.ones(len(days), bool)), risk(in_a)
    deaths = np.bincount(np.searchsorted(times, days[left]), minlength=len(times))
    deaths_a = np.bincount(np.searchsorted(times, days[left & in_a]), minlength=len(times))
    share = at_risk_a / at_risk
    expected_a = float((deaths * share).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(at_risk > 1, (at_risk - deaths) / (at_risk - 1), 0.0)
    variance = float((deaths * share * (1 - share) * spread).sum())
    observed_a, observed_b = int(deaths_a.sum()), int(deaths.sum() - deaths_a.sum())
    result = {"observed_a": observed_a, "expected_a": snap(expected_a), "observed_b": observed_b,
              "expected_b": snap(float(deaths.sum()) - expected_a), "variance": snap(variance)}
    if variance <= 0:
        return {**result, "estimate": math.nan, "ci_lower": math.nan, "ci_upper": math.nan, "p_value": 1.0}
    log_ratio = (observed_a - expected_a) / variance
    half = z_value(alpha) / math.sqrt(variance)
    z = (observed_a - expected_a) / math.sqrt(variance)
    return {**result, "estimate": snap(math.exp(log_ratio)), "ci_lower": snap(math.exp(log_ratio - half)),
            "ci_upper": snap(math.exp(log_ratio + half)), "p_value": snap_significant(math.erfc(abs(z) / math.sqrt(2)))}


def direction(lo: float, hi: float) -> str:
    """'higher' when a ratio's interval lies wholly above 1, 'lower' when wholly below, else 'no clear difference'."""
    return "higher" if lo > 1 else "lower" if hi < 1 else "no clear difference"


def _groups(ds: Dataset, scope: Scope, versus_company: str | None,
            versus_cohort: str | None) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """The two tenure tables a comparison sets side by side, and how each is named."""
    from attrition.measures.survival import tenure_table  # pandas frames: event_rate_ratio never comes here

    company, cohort, group = scope.company, scope.cohort, scope.group
    a = tenure_table(ds, scope)
    names = ds.company_names
    word_a = f"{possessive(names[company])} {PLURAL[cohort]}" + (f" in {group}" if group else "")
    if versus_company is None and versus_cohort is None:
        if group is None:
            raise MetricError("hazard_ratio needs something to compare with: --versus-company, --versus-cohort, "
                              "or --group (compared with the rest of the company)")
        everyone = tenure_table(ds, replace(scope, group=None))
        b = everyone[everyone["group"] != group]
        if b.empty:
            raise MetricError(f"no {PLURAL[cohort]} of {company} outside group {group} to compare with")
        return a, b, word_a, f"the rest of {possessive(names[company])} {PLURAL[cohort]}"
    other, other_cohort = versus_company or company, versus_cohort or cohort
    if (other, other_cohort) == (company, cohort):
        raise MetricError("hazard_ratio compares two different groups: the versus company or cohort must differ")
    b = tenure_table(ds, Scope.of(ds, other, other_cohort, scope.date))
    return a, b, word_a, f"{possessive(names[other])} {PLURAL[other_cohort]}"


def hazard_ratio(ds: Dataset, company: str, cohort: str | None = None, group: str | None = None,
                 versus_company: str | None = None, versus_cohort: str | None = None,
                 as_of: date | str | None = None) -> MetricResult:
    """How many times as fast one group left as another (log-rank hazard ratio, 95% interval as the range).

    The group is a company's cohort (or one group of it); it is compared with another company's
    cohort (`versus_company`), another cohort of the same company (`versus_cohort`), or, for a group,
    the rest of the company. Each person is followed to their first lasting departure or last
    sighting, dates at their midpoints, as on the survival pages.
    """
    scope = Scope.of(ds, company, cohort, as_of, group=group)
    a, b, word_a, word_b = _groups(ds, scope, versus_company, versus_cohort)
    test = logrank(a["midpoint_days"], a["midpoint_left"], b["midpoint_days"], b["midpoint_left"],
                   entry_a=a["midpoint_entry"], entry_b=b["midpoint_entry"])
    day = scope.date
    if math.isnan(test["estimate"]):
        lo = hi = None
        text = f"no departures among {word_a} or {word_b} as of {day}: nothing to compare"
    else:
        lo, hi = test["ci_lower"], test["ci_upper"]
        text = (f"{word_a} left {test['estimate']:.2f} times as fast as {word_b} (95% interval {lo:.2f} to {hi:.2f}; "
                f"log-rank {p_value_text(test['p_value'])}; {test['observed_a']} departures observed against "
                f"{test['expected_a']:.1f} expected at the same pace), as of {day}")
    return MetricResult(metric="hazard_ratio", company=company, cohort=cohort, as_of=day.isoformat(), lo=lo, hi=hi,
                        unit="hazard ratio", text=text,
                        numerator={"lo": test["observed_a"], "hi": test["observed_a"]},
                        denominator={"lo": len(a), "hi": len(a)},
                        person_ids={"group": sorted(a["person_id"]), "versus": sorted(b["person_id"])},
                        details={**test, "n_a": len(a), "n_b": len(b), "left_a": int(a["midpoint_left"].sum()),
                                 "left_b": int(b["midpoint_left"].sum()), "group_words": word_a, "versus_words": word_b})


def event_rate_ratio(ds: Dataset, company: str, start: date | str, end: date | str, baseline_start: date | str,
                     baseline_end: date | str, event: str = "leave", cohort: str | None = None,
                     group: str | None = None) -> MetricResult:
    """How many times as fast people left (per person-year at risk, date midpoints) or joined (per day: first
    joins dated wholly inside the window, as the joins chart counts them) in [start, end] as in the baseline
    window, both days included; the 95% interval of the ratio is the range (exact test). Everything is as
    known on the freeze date."""
    if event not in ("leave", "join"):
        raise MetricError(f"event_rate_ratio compares leaving or joining, not {event!r}")
    scope = Scope.of(ds, company, cohort, group=group)
    asked = ((start, end), (baseline_start, baseline_end))
    days = [(day_number(first), day_number(last) + 1) for first, last in asked]  # [first day, the day after)
    if event == "leave":
        counted = departures.leavers_in_windows(ds, scope, days)
        if not counted:
            raise MetricError(scope.nobody())
        measured = [(leavers, at_risk_2 / 2 / 365.25) for leavers, at_risk_2 in counted]  # half-days to years
    else:
        measured = [(joined, float(after - first))
                    for joined, (first, after) in zip(departures.joins_in_windows(ds, scope, days), days)]
    (k_a, e_a), (k_b, e_b) = measured
    (a0, a1), (b0, b1) = asked
    if e_a <= 0 or e_b <= 0:
        raise MetricError("both windows need time at risk (someone at the company) to compare their rates")
    test = rate_ratio_test(k_a, e_a, k_b, e_b)
    unit = "per person-year" if event == "leave" else "per day"
    verb = "left" if event == "leave" else "joined"
    who = f"{possessive(ds.company_names[company])} {PLURAL[cohort]}" + (f" in {group}" if group else "")
    lo, hi = (None, None) if test["n"] == 0 else (test["ci_lower"], test["ci_upper"])
    text = (f"{who} {verb} {test['rate_ratio']:.2f} times as fast from {a0} to {a1} ({k_a} in {e_a:.1f} "
            f"{'person-years' if event == 'leave' else 'days'}) as from {b0} to {b1} ({k_b} in {e_b:.1f}); "
            f"exact 95% interval {test['ci_lower']:.2f} to {test['ci_upper']:.2f}, {p_value_text(test['p_value'])}")
    return MetricResult(metric="event_rate_ratio", company=company, cohort=cohort, as_of=str(calendar_date(end)),
                        lo=lo, hi=hi, unit="ratio", text=text, window={"start": str(a0), "end": str(a1)},
                        numerator={"lo": k_a, "hi": k_a}, denominator={"lo": k_b, "hi": k_b},
                        details={**test, "event": event, "unit": unit, "exposure": snap(e_a),
                                 "baseline_exposure": snap(e_b), "baseline_window": {"start": str(b0), "end": str(b1)},
                                 "rate": snap(k_a / e_a), "baseline_rate": snap(k_b / e_b)})

