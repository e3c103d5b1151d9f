"""Findings of the standard report on any roster: who is there (counts from each person's latest spell,
so returns are counted as the headcount counts them), how long people stay, the busiest and fastest
periods (named only when clearly above the next; otherwise how few people they rest on), the largest
headcount, and which groups leave faster than the rest."""

from __future__ import annotations

from datetime import date

import pandas as pd

from attrition.findings import people, survival
from attrition.findings.finding import (
    Claim,
    Finding,
    between,
    capitalised,
    measured,
    span,
)
from attrition.io.dataset import Dataset
from attrition.measures import overview
from attrition.text import listing, p_value_text, range_text


def who_is_there(ds: Dataset, company: str, cohort: str | None, noun: str) -> tuple[Finding, Finding]:
    """How many had left and how many are still there (as sources show on the as-of day) or last seen earlier."""
    return (people.departed(ds, company, cohort, noun=noun),
            people.still_there(ds, company, cohort, noun=noun, names=False))


PERIOD_WORDS = {"month": "%B %Y", "year": "%Y", "decade": "the %Ys"}


def _windows(start: pd.Timestamp, unit: str, as_of: date) -> tuple[str, str]:
    step = {"month": pd.DateOffset(months=1), "year": pd.DateOffset(years=1), "decade": pd.DateOffset(years=10)}[unit]
    last = min((start + step - pd.Timedelta(days=1)).date(), as_of)
    return start.date().isoformat(), last.isoformat()


def busiest_period(ds: Dataset, company: str, cohort: str | None) -> Finding:
    """The period most people joined in, named only when clearly busier than the next (the 95% interval of
    the ratio of their join rates lies above 1); otherwise how few joins it rests on."""
    joins, unit = overview.hires_by_period(ds, company, cohort)
    ranked = joins.sort_values(["hires", "period"], ascending=[False, True])
    top, label = ranked.iloc[0], f"{ranked.iloc[0].period:{PERIOD_WORDS[unit]}}"
    name = ds.company_names[company]
    if len(ranked) < 2 or ranked.iloc[1].hires == 0 and top.hires == 0:
        result, params = measured("record_count", ds, company=company, table="people", cohort=cohort)
        return Finding(f"{company}-busiest-{unit}", f"Joins at {name} fall in one {unit} only, {label}",
                       (Claim("record_count", params, "exact", str(result.lo)),), (result,))
    second = ranked.iloc[1]
    result, claim, way = survival.stands_out(ds, company, cohort, "join", _windows(top.period, unit, ds.freeze_date),
                                             _windows(second.period, unit, ds.freeze_date))
    runner = f"{second.period:{PERIOD_WORDS[unit]}}"
    if way == "higher":
        sentence = (f"The busiest {unit} at {name} was {label}: {int(top.hires):,} joined, clearly more than in the "
                    f"next busiest, {runner} ({int(second.hires):,})")
    else:
        sentence = (f"No {unit} stands out at {name}: the most joins, {int(top.hires):,} in {label}, cannot be told "
                    f"apart from the {int(second.hires):,} in {runner}")
    return Finding(f"{company}-busiest-{unit}", sentence, (claim,), (result,), direction=way,
                   test=f"exact test of two Poisson counts, {p_value_text(result.details['p_value'])}")


def largest_headcount(ds: Dataset, company: str, cohort: str | None, noun: str) -> Finding:
    """The day the most people were surely at the company (a source shows each there), and how many more may have been."""
    heads = overview.headcount_series(ds, company, cohort)
    most = heads.sort_values(["lo", "date"], ascending=[False, True]).iloc[0]
    day = most.date.date().isoformat()
    result, params = measured("headcount", ds, company=company, cohort=cohort, as_of=day)
    claim = Claim("headcount", params, "between", between(result.lo, result.hi))
    low, high = span(claim)
    more = f" ({range_text(int(low), int(high), '{:,}')} counting those who may have been)" if low != high else ""
    sentence = f"{ds.company_names[company]} had the most {noun} surely there on {day}: {int(low):,}{more}"
    return Finding(f"{company}-largest-headcount", sentence, (claim,), (result,))


def groups(ds: Dataset, company: str, cohort: str | None, noun: str) -> tuple[Finding, list[Finding]]:
    """Each group against the rest of the company (log-rank hazard ratios), and which leave clearly faster or slower."""
    tenure = overview.survival.tenure_table(ds, company, cohort)
    names = sorted(g for g in tenure["group"].unique() if g != "")
    each = [survival.comparison(ds, company, cohort, group=g, label=f"{noun} in {g}",
                                versus_label="the rest") for g in names]
    faster = [g for g, f in zip(names, each) if f.direction == "higher"]
    slower = [g for g, f in zip(names, each) if f.direction == "lower"]
    parts = []
    if faster:
        parts.append(f"{listing(faster)} left clearly faster than the rest of {ds.company_names[company]}")
    if slower:
        parts.append(f"{listing(slower)} left clearly slower than the rest")
    rest = len(names) - len(faster) - len(slower)
    if rest == len(names):
        parts.append("no group can be told apart from the rest")
    elif rest:
        parts.append(f"the other {rest} cannot be told apart from the rest")
    sentence = capitalised("; ".join(parts)) + " (log-rank hazard ratios against everyone else, 95% intervals)"
    return (Finding(f"{company}-groups", sentence, tuple(c for f in each for c in f.claims),
                    tuple(r for f in each for r in f.results)), each)


