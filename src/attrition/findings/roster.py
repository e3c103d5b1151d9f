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
    about,
    between,
    capitalised,
    measured,
    span,
)
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures import overview
from attrition.text import days_and_years, listing, p_value_text, possessive, range_text, reason_words


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
    tenure = overview.survival.tenure_table(ds, Scope.of(ds, company, cohort))
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




def _share_claim(metric: str, params: dict, lo: float, hi: float) -> Claim:
    """A claim on a share shown as a percentage to one decimal: the value (or range) give or take half of it."""
    if lo == hi:
        reported, tolerance = about(lo, 3)
        return Claim(metric, params, "about", reported, tolerance)
    return Claim(metric, params, "between", between(round(lo, 3), round(hi, 3)), 0.0005)


def reasons(ds: Dataset, company: str, cohort: str | None, noun: str, years: float) -> Finding:
    """Why people left, within `years` of joining (or the whole years anyone was followed, if fewer): the share
    gone for each reason sources give (competing risks, 95% intervals), most common first."""
    from attrition.measures import reasons as why

    name = possessive(ds.company_names[company])
    table = why.leavers(ds, Scope.of(ds, company, cohort))
    known = why.categories(ds, list(set(table["reason"]) - {""}))
    years = min(years, float(int(table["midpoint_days"].max() // 365.25))) if len(table) else years
    if years < 1:
        result, params = measured("reasons", ds, company=company, cohort=cohort, at_years=(1,))
        return Finding(f"{company}-{cohort or 'all'}-reasons", capitalised(
            f"{result.lo:,} of {name} {noun} had left; no one was followed a whole year, too short to say why they "
            "leave at any point of tenure"), (Claim("reasons", params, "exact", str(result.lo)),), (result,))
    shares = [measured("reason_share", ds, company=company, reason=r, cohort=cohort, at_years=(years,)) for r in known]
    defined = [(r, p) for r, p in shares if r.lo is not None and r.lo > 0]
    if not defined:
        result, params = measured("reasons", ds, company=company, cohort=cohort, at_years=(years,))
        sentence = (f"{result.lo:,} of {name} {noun} had left, none within {years:g} years of joining" if result.lo
                    else f"None of {name} {noun} had left")
        claims = [Claim("reasons", params, "exact", str(result.lo))]
        claims += [Claim("reason_share", p, "exact", "0") for r, p in shares] if result.lo else []
        return Finding(f"{company}-{cohort or 'all'}-reasons", capitalised(sentence), tuple(claims),
                       (result, *(r for r, _ in shares)))
    defined.sort(key=lambda rp: (-rp[0].lo, known.index(rp[0].details["reason"])))
    parts, claims = [], []
    for i, (result, params) in enumerate(defined):
        reported, tolerance = about(result.lo, 2)
        claims.append(Claim("reason_share", params, "about", reported, tolerance))
        parts.append(f"{float(reported):.0%} {reason_words(result.details['reason'])} ({'95% interval ' if i == 0 else ''}"
                     f"{result.details['ci_lower']:.0%} to {result.details['ci_upper']:.0%})")
    sentence = f"Of {name} {noun}, within {years:g} year{'s' if years != 1 else ''} of joining {listing(parts)}"
    return Finding(f"{company}-{cohort or 'all'}-reasons-{years:g}y", sentence, tuple(claims),
                   tuple(r for r, _ in defined))


def cohort_retention(ds: Dataset, company: str, cohort: str | None, noun: str,
                     at_years: tuple[float, ...] = (1, 2, 3)) -> Finding | None:
    """The latest start cohort every member of which could have been followed the longest of `at_years`: how
    many of it were still there that many years after joining (Kaplan-Meier, 95% interval). None when no
    cohort could be followed even the first of `at_years`."""
    from attrition.measures import cohorts

    table, unit = cohorts.cohort_table(ds, company, cohort, at_years)
    step = {"quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1), "decade": pd.DateOffset(years=10)}[unit]
    as_of = pd.Timestamp(ds.freeze_date)
    for years in sorted(at_years, reverse=True):
        whole = table[(table["start"] + step + pd.DateOffset(days=round(years * 365.25)) <= as_of)
                      & table[f"still_{years:g}y"].notna()]
        if len(whole):
            row = whole.iloc[-1]
            break
    else:
        return None
    end = (row["start"] + step - pd.Timedelta(days=1)).date()
    result, params = measured("cohort_retention", ds, company=company, cohort=cohort, start=row["start"].date().isoformat(),
                              end=end.isoformat(), at_years=(years,))
    reported, tolerance = about(result.lo, 2)
    when = f"the {row['period']}" if unit == "decade" else row["period"]
    plural = "s" if years != 1 else ""
    sentence = (f"Of the {int(row['people']):,} {noun} who joined {ds.company_names[company]} in {when} (the latest "
                f"start {unit} all of whom could have been followed {years:g} year{plural}), {float(reported):.0%} were "
                f"still there {years:g} year{plural} later (95% interval {result.details['ci_lower']:.0%} to "
                f"{result.details['ci_upper']:.0%})")
    return Finding(f"{company}-{cohort or 'all'}-cohort-{row['period']}-{years:g}y", sentence,
                   (Claim("cohort_retention", params, "about", reported, tolerance),), (result,))


def came_back(ds: Dataset, company: str, cohort: str | None, noun: str) -> Finding:
    """How many of those who left came back (exact 95% interval), and how long they had been away (median)."""
    rate, params = measured("rehire_rate", ds, company=company, cohort=cohort)
    name = ds.company_names[company]
    if rate.lo is None:
        gone, gone_params = measured("departed_count", ds, company=company, cohort=cohort)
        return Finding(f"{company}-{cohort or 'all'}-returns", f"No {noun} had surely left {name}, so none came back",
                       (Claim("departed_count", gone_params, "between", between(gone.lo, gone.hi)),), (gone,))
    k, n = rate.numerator["lo"], rate.denominator["lo"]
    claims, results = [_share_claim("rehire_rate", params, rate.lo, rate.hi)], [rate]
    share = f"{rate.lo:.1%}" if rate.lo == rate.hi else f"{rate.lo:.1%} to {rate.hi:.1%}"
    sentence = (f"{k:,} of the {n:,} {noun} who left {name} came back ({share}; exact 95% interval "
                f"{rate.details['ci_lower']:.1%} to {rate.details['ci_upper']:.1%})")
    if k:
        away, away_params = measured("time_away", ds, company=company, cohort=cohort)
        claims.append(Claim("time_away", away_params, "between", between(int(away.lo), int(away.hi))))
        results.append(away)
        span_text = (days_and_years(away.lo) if away.lo == away.hi else
                     f"{days_and_years(away.lo)} to {days_and_years(away.hi)}")
        sentence += f"; they had been away a median of {span_text}"
    return Finding(f"{company}-{cohort or 'all'}-returns", capitalised(sentence), tuple(claims), tuple(results))
