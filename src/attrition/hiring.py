"""Hiring pace: how many joined in a window, days per hire, and whether one window was faster.

Two bases, always labelled: `roster` counts the named people in data/ (a range, because many join
dates are only known to a month or longer), and `reported` uses an aggregate a source published
(data/reported_counts.csv), which covers people no article named. Windows are calendar days,
both ends included.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from attrition.dataset import Dataset
from attrition.rates import poisson_ci, rate_ratio_test
from attrition.result import MetricError, MetricResult
from attrition.schema import HIRING_BASES
from attrition.roster import headcount, hires, milestones, spells
from attrition.tables import check_scope
from attrition.text import format_interval, range_text



def window_days(start: date | str, end: date | str) -> int:
    """Length of [start, end] in calendar days, both ends included (Feb 1 to Mar 31 2024 is 60)."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if last < first:
        raise MetricError(f"the window ends ({last.date()}) before it starts ({first.date()})")
    return (last - first).days + 1


def _window(start, end) -> dict[str, object]:
    return {"start": pd.Timestamp(start).date().isoformat(), "end": pd.Timestamp(end).date().isoformat(),
            "days": window_days(start, end)}


def roster_hires(ds: Dataset, company: str, start: date | str, end: date | str) -> tuple[list[str], list[str]]:
    """Named hires whose join lies certainly inside [start, end], and those whose join only may."""
    table = hires(ds, company, end)
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    inside = table[(table["start_lo"] >= first) & (table["start_hi"] <= last)]
    overlap = table[(table["start_hi"] >= first) & (table["start_lo"] <= last) & ~table.index.isin(inside.index)]
    return sorted(inside["person_id"]), sorted(overlap["person_id"])


def reported_hires(ds: Dataset, company: str, start: date | str, end: date | str) -> pd.Series:
    """The reported count of hires for exactly this window; the error lists the windows available."""
    counts = ds.counts[(ds.counts["company"] == company) & (ds.counts["measure"] == "hires")]
    match = counts[(counts["start"] == pd.Timestamp(start)) & (counts["end"] == pd.Timestamp(end))]
    if match.empty:
        available = "; ".join(f"{r.start:%Y-%m-%d} to {r.end:%Y-%m-%d} ({r.count_id})" for r in counts.itertuples())
        raise MetricError(f"no reported count of hires at {company} for {pd.Timestamp(start).date()} to "
                          f"{pd.Timestamp(end).date()}; reported windows: {available or 'none'}")
    return match.sort_values("count_id").iloc[0]


def hires_between(ds: Dataset, company: str, start: date | str, end: date | str,
                  basis: str = "roster") -> MetricResult:
    """How many joined `company` (after its founding team) between start and end, inclusive."""
    check_scope(ds, company, None, ())
    window = _window(start, end)
    if basis == "roster":
        sure, maybe = roster_hires(ds, company, start, end)
        lo, hi = len(sure), len(sure) + len(maybe)
        text = (f"{range_text(lo, hi)} named hires joined {ds.company_names[company]} between {window['start']} and {window['end']} "
                f"({window['days']} days; basis: roster of named people)")
        return MetricResult(metric="hires_between", company=company, cohort=None, as_of=window["end"], lo=lo, hi=hi,
                            unit="hires", text=text, window=window, person_ids={"joined": sure, "maybe_joined": maybe},
                            details={"basis": "roster"})
    if basis == "reported":
        row = reported_hires(ds, company, start, end)
        value = int(row["value"])
        qualifier = {"exact": "", "at_least": "at least ", "about": "about "}[row["qualifier"]]
        text = (f"{qualifier}{value} hires joined {ds.company_names[company]} between {window['start']} and {window['end']} "
                f"({window['days']} days; basis: the count {_publisher(ds, row['source_id'])} reported)")
        return MetricResult(metric="hires_between", company=company, cohort=None, as_of=window["end"], lo=value,
                            hi=value, unit="hires", text=text, window=window,
                            details={"basis": "reported", "qualifier": row["qualifier"], "count_id": row["count_id"],
                                     "source_id": row["source_id"], "scope_note": row["scope_note"]})
    raise MetricError(f"unknown basis {basis!r}; choose one of: {', '.join(HIRING_BASES)}")


def days_per_hire(ds: Dataset, company: str, start: date | str, end: date | str, basis: str = "roster") -> MetricResult:
    """Average days between hires in the window (window days / hires), with an exact Poisson 95% CI.

    Also gives hires per 30 days. With no hires the average gap is undefined, and the text says so
    and gives the most hires per 30 days that zero observed hires is consistent with.
    """
    count = hires_between(ds, company, start, end, basis)
    days = count.window["days"]
    k_lo, k_hi = int(count.lo), int(count.hi)
    ci_lo, ci_hi = poisson_ci(k_lo)[0], poisson_ci(k_hi)[1]
    per_30 = {"lo": 30 * k_lo / days, "hi": 30 * k_hi / days, "ci_lower": 30 * ci_lo / days, "ci_upper": 30 * ci_hi / days}
    basis_text = count.text[count.text.index("basis:"):].rstrip(")")
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
    return str(ds.sources.set_index("source_id").loc[source_id, "publisher"])


def hires_per_month(ds: Dataset, company: str) -> pd.DataFrame:
    """Named hires per calendar month, for those whose join is known to within one month.

    Joins known only to a longer range are counted in `unplaced`, so a chart can say how many it
    could not place.
    """
    table = hires(ds, company)
    month = table["start_lo"].dt.to_period("M")
    placed = month == table["start_hi"].dt.to_period("M")
    counts = month[placed].value_counts().sort_index()
    if counts.empty:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "hires": pd.Series(dtype=int), "unplaced": []})
    months = pd.period_range(counts.index.min(), counts.index.max(), freq="M")
    out = pd.DataFrame({"month": months.to_timestamp(), "hires": counts.reindex(months, fill_value=0).to_numpy()})
    out["unplaced"] = int((~placed).sum())
    return out


def headcount_with_reports(ds: Dataset, company: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly named-roster headcount (lo, hi) and the staff counts sources reported, for one chart."""
    roster = headcount(ds, company)
    reported = ds.counts[(ds.counts["company"] == company) & ds.counts["measure"].isin(["technical_staff", "employees"])]
    return roster, reported.sort_values(["end", "count_id"]).reset_index(drop=True)


def days_before_milestone(ds: Dataset, company: str, person: str, milestone_id: str) -> MetricResult:
    """Days from a person's join to a milestone, as a range where either date is a range."""
    check_scope(ds, company, None)
    joins = spells(ds, company=company)
    joins = joins[(joins["person_id"] == person) & (joins["spell"] == 1)]
    if joins.empty:
        raise MetricError(f"no person {person!r} at {company}")
    ms = milestones(ds)
    ms = ms[(ms["company"] == company) & (ms["milestone_id"] == milestone_id)]
    if ms.empty:
        raise MetricError(f"no milestone {milestone_id!r} for {company}; see milestones.csv")
    j, m = joins.iloc[0], ms.iloc[0]
    lo, hi = (m["earliest"] - j["start_hi"]).days, (m["latest"] - j["start_lo"]).days
    text = (f"{j['name']} joined {range_text(lo, hi)} days before {m['label']} "
            f"(joined {format_interval(j['start_lo'], j['start_hi'])}; {m['label']} {format_interval(m['earliest'], m['latest'])})")
    return MetricResult(metric="days_before_milestone", company=company, cohort=None,
                        as_of=m["latest"].date().isoformat(), lo=lo, hi=hi, unit="days", text=text,
                        person_ids={"person": [person]},
                        details={"milestone_id": milestone_id, "milestone_conflict": bool(m["conflict"]),
                                 "milestone_sources": m["source_ids"], "join_sources": j["start_sources"]})
