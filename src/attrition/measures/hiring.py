"""Hiring pace: how many joined in a window, days per hire, and whether one window was faster.

Two bases, always labelled: `roster` counts the named people in data/ (a range, because many join
dates are only known to a month or longer), and `reported` uses an aggregate a source published
(data/reported_counts.csv), which covers people no article named. Windows are calendar days,
both ends included. Each count is one query in the engine; nothing here needs pandas.
"""

from __future__ import annotations

from datetime import date

from attrition.core import departures, lookups
from attrition.core.scope import Scope, as_of_day, check_scope
from attrition.days import calendar_date, day_date, day_number
from attrition.io.dataset import Dataset
from attrition.measures.rates import poisson_ci, rate_ratio_test
from attrition.result import MetricError, MetricResult
from attrition.schema import HIRING_BASES
from attrition.text import format_interval, range_text


def window_days(start: date | str, end: date | str) -> int:
    """Length of [start, end] in calendar days, both ends included (Feb 1 to Mar 31 2024 is 60)."""
    first, last = calendar_date(start), calendar_date(end)
    if last < first:
        raise MetricError(f"the window ends ({last}) before it starts ({first})")
    return (last - first).days + 1


def _window(start, end) -> dict[str, object]:
    return {"start": calendar_date(start).isoformat(), "end": calendar_date(end).isoformat(),
            "days": window_days(start, end)}


def roster_hires(ds: Dataset, scope: Scope, start: date | str) -> tuple[list[str], list[str]]:
    """Named hires (first spells of cohorts hire and executive) at the scope's company whose join lies certainly
    inside [start, the scope's day], and those whose join only may."""
    return departures.joined_between(ds, scope, day_number(start))


def reported_hires(ds: Dataset, company: str, start: date | str, end: date | str,
                   count_id: str | None = None) -> list[dict[str, object]]:
    """The reported counts of hires for exactly this window (every one, in id order: two sources may disagree),
    or only `count_id` when a claim names its basis; the error lists the windows available."""
    match = lookups.hire_counts(ds, company, day_number(start), day_number(end))
    chosen = [row for row in match if count_id is None or row["count_id"] == count_id]
    if not chosen:
        windows = lookups.hire_windows(ds, company)
        available = "; ".join(f"{day_date(first)} to {day_date(last)} ({count_id})" for count_id, first, last in windows)
        named = "" if count_id is None else f" named {count_id}"
        raise MetricError(f"no reported count of hires{named} at {company} for {calendar_date(start)} to "
                          f"{calendar_date(end)}; reported windows: {available or 'none'}")
    return chosen


def hires_between(ds: Dataset, company: str, start: date | str, end: date | str,
                  basis: str = "roster", count_id: str | None = None) -> MetricResult:
    """How many joined `company` (after its founding team) between start and end, inclusive.

    On the `reported` basis, counts that sources reported for the same window and that disagree are a
    conflict: the value is the range they span, and the text names each, unless `count_id` chooses one.
    """
    check_scope(ds, company, None, ())
    window = _window(start, end)
    if count_id is not None and basis != "reported":
        raise MetricError("--count-id chooses a reported count: it needs --basis reported")
    if basis == "roster":
        sure, maybe = roster_hires(ds, Scope(as_of_day(ds, end), company), start)  # the company is checked
        lo, hi = len(sure), len(sure) + len(maybe)
        text = (f"{range_text(lo, hi)} named hires joined {ds.company_names[company]} between {window['start']} and {window['end']} "
                f"({window['days']} days; basis: roster of named people)")
        return MetricResult(metric="hires_between", company=company, cohort=None, as_of=window["end"], lo=lo, hi=hi,
                            unit="hires", text=text, window=window, person_ids={"joined": sure, "maybe_joined": maybe},
                            details={"basis": "roster"})
    if basis == "reported":
        rows = reported_hires(ds, company, start, end, count_id)
        values = [int(row["value"]) for row in rows]
        lo, hi = min(values), max(values)
        said = lambda row: f"{QUALIFIER_WORDS[row['qualifier']]}{int(row['value'])}"
        if lo == hi:
            row = rows[0]
            basis_text = f"basis: the count {_publisher(ds, row['source_id'])} reported"
            count = said(row)
        else:
            basis_text = "basis: reported counts that disagree: " + "; ".join(
                f"{said(row)} ({_publisher(ds, row['source_id'])}, {row['count_id']})" for row in rows)
            count = f"{lo} to {hi}"
        text = (f"{count} hires joined {ds.company_names[company]} between {window['start']} and {window['end']} "
                f"({window['days']} days; {basis_text})")
        return MetricResult(metric="hires_between", company=company, cohort=None, as_of=window["end"], lo=lo,
                            hi=hi, unit="hires", text=text, window=window,
                            details={"basis": "reported", "qualifier": rows[0]["qualifier"], "count_id": rows[0]["count_id"],
                                     "source_id": rows[0]["source_id"], "scope_note": rows[0]["scope_note"],
                                     "conflict": lo != hi, "counts": rows})
    raise MetricError(f"unknown basis {basis!r}; choose one of: {', '.join(HIRING_BASES)}")


QUALIFIER_WORDS = {"exact": "", "at_least": "at least ", "about": "about "}


def days_per_hire(ds: Dataset, company: str, start: date | str, end: date | str, basis: str = "roster",
                  count_id: str | None = None) -> MetricResult:
    """Average days between hires in the window (window days / hires), with an exact Poisson 95% CI.

    Also gives hires per 30 days. With no hires the average gap is undefined, and the text says so
    and gives the most hires per 30 days that zero observed hires is consistent with.
    """
    count = hires_between(ds, company, start, end, basis, count_id)
    days = count.window["days"]
    k_lo, k_hi = int(count.lo), int(count.hi)
    ci_lo, ci_hi = poisson_ci(k_lo)[0], poisson_ci(k_hi)[1]
    per_30 = {"lo": 30 * k_lo / days, "hi": 30 * k_hi / days, "ci_lower": 30 * ci_lo / days, "ci_upper": 30 * ci_hi / days}
    basis_text = count.text[count.text.index("basis:"):-1]  # without the parenthesis that closes it
    if k_hi == 0:
        text = (f"no hires at {ds.company_names[company]} between {count.window['start']} and {count.window['end']} "
                f"({days} days; {basis_text}): days per hire is undefined; at 95% confidence the rate is at most "
                f"{per_30['ci_upper']:.2f} hires per 30 days")
        lo = hi = None
    else:
        lo, hi = days / k_hi, (days / k_lo if k_lo else None)
        ci = (days / ci_hi, days / ci_lo if ci_lo else None)
        span = f"{lo:.1f}" if lo == hi else f"{lo:.1f} to {'(no hire for sure)' if hi is None else f'{hi:.1f}'}"
        upper = "unbounded" if ci[1] is None else f"{ci[1]:.1f}"
        text = (f"{span} days per hire at {ds.company_names[company]} between {count.window['start']} and {count.window['end']}: "
                f"{range_text(k_lo, k_hi)} hires in {days} days (95% CI {ci[0]:.1f} to {upper} days per hire; "
                f"{per_30['lo']:.1f}{'' if k_lo == k_hi else ' to ' + format(per_30['hi'], '.1f')} hires per 30 days; "
                f"{basis_text})")
    return MetricResult(metric="days_per_hire", company=company, cohort=None, as_of=count.as_of, lo=lo, hi=hi,
                        unit="days per hire", text=text, window=count.window,
                        numerator={"lo": days, "hi": days}, denominator={"lo": k_lo, "hi": k_hi},
                        person_ids=count.person_ids,
                        details={**count.details, "hires_per_30_days": per_30, "count_ci": [ci_lo, ci_hi],
                                 "days_per_hire_ci": None if k_hi == 0 else [days / ci_hi, days / ci_lo if ci_lo else None]})


def hiring_rate_ratio(ds: Dataset, company: str, start: date | str, end: date | str, baseline_start: date | str,
                      baseline_end: date | str, basis: str = "roster") -> MetricResult:
    """How many times faster hiring was in [start, end] than in the baseline window (exact test).

    Conditional on the total, the first window's hires are binomial with p = its share of the days
    when the rates are equal; the p-value and 95% interval come from that binomial.
    """
    a = hires_between(ds, company, start, end, basis)
    b = hires_between(ds, company, baseline_start, baseline_end, basis)
    da, db = a.window["days"], b.window["days"]
    scenarios = [rate_ratio_test(int(ka), da, int(kb), db) for ka, kb in ((a.lo, b.hi), (a.hi, b.lo))]
    low, high = scenarios
    finite = lambda v: f"{v:.1f}" if v != float("inf") else "unbounded"
    span = finite(low["rate_ratio"]) if a.lo == a.hi and b.lo == b.hi else f"{finite(low['rate_ratio'])} to {finite(high['rate_ratio'])}"
    test = low if a.lo == a.hi and b.lo == b.hi else None
    text = (f"hiring at {ds.company_names[company]} was {span} times as fast from {a.window['start']} to {a.window['end']} "
            f"({range_text(a.lo, a.hi)} in {da} days) as from {b.window['start']} to {b.window['end']} "
            f"({range_text(b.lo, b.hi)} in {db} days); basis: {basis} counts")
    if test is not None:
        text += (f"; exact test p = {test['p_value']:.3f}, 95% CI {test['ci_lower']:.2f} to "
                 f"{finite(test['ci_upper'])}")
    return MetricResult(metric="hiring_rate_ratio", company=company, cohort=None, as_of=a.window["end"],
                        lo=low["rate_ratio"], hi=high["rate_ratio"], unit="ratio", text=text, window=a.window,
                        numerator={"lo": int(a.lo), "hi": int(a.hi)}, denominator={"lo": int(b.lo), "hi": int(b.hi)},
                        details={"basis": basis, "baseline_window": b.window, "test": test,
                                 "bracketing_tests": scenarios})


def _publisher(ds: Dataset, source_id: str) -> str:
    """How a metric's text names a source: its publisher, not its id."""
    return lookups.publisher(ds, source_id)


def days_before_milestone(ds: Dataset, company: str, person: str, milestone_id: str) -> MetricResult:
    """Days from a person's join to a milestone, as a range where either date is a range."""
    scope = Scope.of(ds, company)
    joined = lookups.first_join(ds, scope, person)
    if joined is None:
        raise MetricError(f"no person {person!r} at {company}")
    ms = lookups.milestone(ds, company, milestone_id)
    if ms is None:
        raise MetricError(f"no milestone {milestone_id!r} for {company}; see milestones.csv")
    (name, start_lo, start_hi, start_sources), (label, earliest, latest, conflict, source_ids) = joined, ms
    lo, hi = earliest - start_hi, latest - start_lo
    text = (f"{name} joined {range_text(lo, hi)} days before {label} (joined "
            f"{format_interval(day_date(start_lo), day_date(start_hi))}; {label} {format_interval(day_date(earliest), day_date(latest))})")
    return MetricResult(metric="days_before_milestone", company=company, cohort=None,
                        as_of=day_date(latest).isoformat(), lo=lo, hi=hi, unit="days", text=text,
                        person_ids={"person": [person]},
                        details={"milestone_id": milestone_id, "milestone_conflict": bool(conflict),
                                 "milestone_sources": source_ids, "join_sources": start_sources})
