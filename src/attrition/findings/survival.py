"""Findings about how long people stay: when half had left, median tenure, shares gone by N years,
which group leaves faster, and which period stood out. Every comparison names its direction from a
95% interval (clearly higher, clearly lower, or no clear difference), never from a threshold on a
p-value alone; an extreme period is named only when it is clearly above the next one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable

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
from attrition.measures import survival
from attrition.measures.compare import direction
from attrition.text import PLURAL, days_and_years, p_value_text, possessive


def _who(ds: Dataset, company: str, cohort: str | None, exclude: Iterable[str] = (), noun: str | None = None) -> str:
    from attrition.core.roster import spells

    people = spells(ds, Scope.of(ds, company))
    left_out = sorted(set(people.loc[people["person_id"].isin(list(exclude)), "name"]))
    without = f" (not counting {', '.join(left_out)})" if left_out else ""
    return f"{possessive(ds.company_names[company])} {noun or PLURAL[cohort]}{without}"


def half_left_by(ds: Dataset, company: str, cohort: str = "founder", exclude: Iterable[str] = ()) -> Finding:
    """The first day by which half of a cohort had certainly left (departed_share's lower bound reaches one
    half), or, if none, how the share stood on the freeze date."""
    excluded = sorted(exclude)
    series = survival.departed_share_series(ds, company, cohort, exclude=excluded)
    crossed = series[series["lo"] >= 0.5]
    who = _who(ds, company, cohort, excluded)
    if len(crossed):
        day = crossed["date"].iloc[0].date().isoformat()
        result, params = measured("departed_share", ds, company=company, cohort=cohort, as_of=day, exclude=excluded)
        claim = Claim("departed_share", params, "at_least", "0.5")
        sentence = f"Half of {who} had certainly left by {day}"
    else:
        result, params = measured("departed_share", ds, company=company, cohort=cohort, exclude=excluded)
        if result.hi < 0.5:
            claim = Claim("departed_share", params, "less_than", "0.5")
            sentence = f"Fewer than half of {who} had left by {result.as_of}"
        else:
            claim = Claim("departed_share", params, "includes", "0.5")
            sentence = f"Half of {who} may have left by {result.as_of}: the dates sources give leave it open"
    return Finding(f"{company}-{cohort}-half-left" + ("-without-" + "-".join(excluded) if excluded else ""),
                   sentence, (claim,), (result,))


def median_tenure(ds: Dataset, company: str, cohort: str | None = "founder", noun: str | None = None,
                  group: str | None = None) -> Finding:
    """How long after joining half had left (Kaplan-Meier median), as the range the readings of uncertain
    dates allow; while fewer than half have left, that it is not known yet."""
    result, params = measured("median_tenure", ds, company=company, cohort=cohort, group=group)
    who = _who(ds, company, cohort, noun=noun) + (f" in {group}" if group else "")
    if result.lo is not None and result.hi is not None:
        claim = Claim("median_tenure", params, "between", between(int(result.lo), int(result.hi)))
        low, high = (float(v) for v in span(claim))
        when = days_and_years(low) if low == high else f"{days_and_years(low)} to {days_and_years(high)}"
        sentence = f"Half of {who} had left within {when} of joining"
        if low != high:
            sentence += ", depending on where in their date ranges departures fall"
    else:
        share, share_params = measured("departed_share", ds, company=company, cohort=cohort, group=group)
        result, claim = share, Claim("departed_share", share_params, "less_than", "0.5")
        sentence = f"Fewer than half of {who} have left, so how long it takes half to leave is not known yet"
    return Finding(f"{company}-{cohort or 'all'}{'-' + group if group else ''}-median-tenure", sentence, (claim,), (result,))


def share_within(ds: Dataset, company: str, years: float, cohort: str | None = "founder",
                 censoring: str = "observed", noun: str | None = None) -> Finding:
    """The share of a cohort gone within `years` of joining, as the peer table shows it, with its interval."""
    result, params = measured("share_gone_within", ds, company=company, at_years=(years,), cohort=cohort,
                              censoring=censoring)
    who = _who(ds, company, cohort, noun=noun)
    d = result.details
    if not d["followed"]:
        reported, tolerance = about(result.lo, 2)
        claim = Claim("share_gone_within", params, "about", reported, tolerance)
        sentence = capitalised(f"{who} were followed only {d['followed_years']:.1f} years, not {years:g}; "
                    f"by then at least {float(reported):.0%} had left")
        return Finding(f"{company}-{cohort}-gone-{years:g}y-{censoring}", sentence, (claim,), (result,))
    reported, tolerance = about(result.lo, 2)
    claim = Claim("share_gone_within", params, "about", reported, tolerance)
    still = "; those still there counted up to the freeze date" if censoring == "freeze" else ""
    sentence = (f"Within {years:g} year{'s' if years != 1 else ''} of joining, {float(reported):.0%} of {who} had left"
                f" (95% interval {d['ci_lower']:.0%} to {d['ci_upper']:.0%}{still})")
    return Finding(f"{company}-{cohort}-gone-{years:g}y-{censoring}", sentence, (claim,), (result,))


WORDS = {"higher": "more often than", "lower": "less often than", "no clear difference": ""}


def comparison(ds: Dataset, company: str, cohort: str, versus_cohort: str | None = None,
               versus_company: str | None = None, group: str | None = None, label: str | None = None,
               versus_label: str | None = None) -> Finding:
    """Which of two groups left more often while both were followed: the log-rank hazard ratio's 95% interval
    names the direction (wholly above 1, wholly below, or including 1: no clear difference)."""
    result, params = measured("hazard_ratio", ds, company=company, cohort=cohort, group=group,
                              versus_cohort=versus_cohort, versus_company=versus_company)
    d = result.details
    a, b = label or d["group_words"], versus_label or d["versus_words"]
    if result.lo is None:
        claim = Claim("departed_count", {"company": company, "cohort": cohort}, "exact", "0")
        return Finding(f"{company}-{cohort}-vs", f"No one in {a} or {b} has left, so nothing compares",
                       (claim,), (result,))
    way = direction(result.lo, result.hi)
    reading = {"higher": "more_than", "lower": "less_than", "no clear difference": "includes"}[way]
    claim = Claim("hazard_ratio", params, reading, "1")
    evidence = (f"hazard ratio {d['estimate']:.2f}, 95% interval {result.lo:.2f} to {result.hi:.2f}; log-rank "
                f"{p_value_text(d['p_value'])}")
    if way == "no clear difference":
        sentence = f"No clear difference in how often {a} and {b} left ({evidence})"
    else:
        sentence = capitalised(f"{a} left {WORDS[way]} {b} ({evidence})")
    test = (f"{d['observed_a']} departures among {a} against {d['expected_a']:.1f} expected at a common pace; "
            f"{d['observed_b']} among {b} against {d['expected_b']:.1f}")
    versus = versus_cohort or versus_company or "rest"
    return Finding(f"{company}-{cohort}{'-' + group if group else ''}-vs-{versus}", sentence, (claim,), (result,),
                   direction=way, test=test)


def stands_out(ds: Dataset, company: str, cohort: str | None, event: str, peak: tuple[str, str],
               runner_up: tuple[str, str]) -> tuple[object, Claim, str]:
    """Whether the busiest (or fastest) calendar window is clearly above the next one: the exact 95% interval
    of the ratio of their rates lies above 1 (`more_than 1`, direction `higher`), or includes it (`includes 1`,
    `no clear difference`). The one rule every "fastest" and "busiest" sentence follows."""
    result, params = measured("event_rate_ratio", ds, company=company, cohort=cohort, start=peak[0], end=peak[1],
                              baseline_start=runner_up[0], baseline_end=runner_up[1], event=event)
    if result.lo is not None and result.lo > 1:
        return result, Claim("event_rate_ratio", params, "more_than", "1"), "higher"
    return result, Claim("event_rate_ratio", params, "includes", "1"), "no clear difference"


def _window(start: int, years: int, as_of: date) -> tuple[str, str]:
    last = min(date(start + years, 1, 1) - timedelta(days=1), as_of)
    return date(start, 1, 1).isoformat(), last.isoformat()


def _period(start: int, years: int) -> str:
    return f"{start}" if years == 1 else f"{start}-{start + years - 1}"


def fastest_period(ds: Dataset, company: str, cohort: str | None = "founder", years_per_row: int = 1,
                   who: str | None = None) -> Finding:
    """The period people left fastest (departures per person-year), named only when it is clearly faster than
    the next fastest (the 95% interval of the ratio of their rates lies above 1); otherwise how few
    departures and person-years the highest rate rests on."""
    by_year = survival.departures_by_year(ds, company, cohort, years_per_row=years_per_row)
    rated = by_year[by_year["person_years"] > 0].sort_values(["rate", "year"], ascending=[False, True])
    who = who or _who(ds, company, cohort)
    as_of = ds.freeze_date
    peak = rated.iloc[0]
    when = _period(int(peak.year), years_per_row)
    rate = f"{peak.rate:.2f} departures per person-year"
    if len(rated) < 2:
        result, params = measured("departures_between", ds, company=company, cohort=cohort,
                                  start=_window(int(peak.year), years_per_row, as_of)[0],
                                  end=_window(int(peak.year), years_per_row, as_of)[1])
        claim = Claim("departures_between", params, "between", between(result.lo, result.hi))
        return Finding(f"{company}-{cohort}-fastest-period", f"{who} were followed in one period only: {rate} in {when}",
                       (claim,), (result,))
    runner = rated.iloc[1]
    result, claim, way = stands_out(ds, company, cohort, "leave", _window(int(peak.year), years_per_row, as_of),
                                    _window(int(runner.year), years_per_row, as_of))
    second = _period(int(runner.year), years_per_row)
    if way == "higher":
        sentence = (f"{who} left fastest in {when}: {rate}, {result.details['rate_ratio']:.1f} times the next fastest "
                    f"period, {second} (95% interval {result.lo:.1f} to {result.hi:.1f})")
    else:
        sentence = (f"No period stands out for {who}: the highest rate, {rate} in {when}, rests on "
                    f"{int(peak.departures_mid)} departure{'s' if peak.departures_mid != 1 else ''} in "
                    f"{peak.person_years:.1f} person-years and cannot be told apart from {second} "
                    f"({runner.rate:.2f}; ratio's 95% interval {result.lo:.1f} to {result.hi:.1f})")
    return Finding(f"{company}-{cohort}-fastest-period", sentence, (claim,), (result,), direction=way,
                   test=f"exact test of two Poisson rates, {p_value_text(result.details['p_value'])}")


def rate_change(ds: Dataset, company: str, cohort: str | None, year: int, baseline_year: int) -> Finding:
    """How many times as fast a cohort left in one calendar year as in another, with the direction its
    exact 95% interval allows."""
    as_of = ds.freeze_date
    start, end = _window(year, 1, as_of)
    base_start, base_end = _window(baseline_year, 1, as_of)
    result, params = measured("event_rate_ratio", ds, company=company, cohort=cohort, start=start, end=end,
                              baseline_start=base_start, baseline_end=base_end, event="leave")
    d = result.details
    way = direction(result.lo, result.hi)
    reading = {"higher": "more_than", "lower": "less_than", "no clear difference": "includes"}[way]
    claim = Claim("event_rate_ratio", params, reading, "1")
    who = _who(ds, company, cohort)
    evidence = (f"exact 95% interval {result.lo:.1f} to {result.hi:.1f} times; {p_value_text(d['p_value'])}, from "
                f"{d['n']} departures in the two years")
    if way == "no clear difference":
        sentence = f"{who} left at no clearly different pace in {year} than in {baseline_year} ({evidence})"
    else:
        sentence = (f"In {year} {who} left {d['rate_ratio']:.0f} times as fast as in {baseline_year} "
                    f"({evidence})")
    return Finding(f"{company}-{cohort}-{year}-vs-{baseline_year}", sentence, (claim,), (result,), direction=way,
                   test=f"exact conditional test of two Poisson rates, {p_value_text(d['p_value'])}")



def interval_median(ds: Dataset, company: str, cohort: str = "founder") -> Finding:
    """Days until half had left with every date taken as its whole range (the interval-censored fit)."""
    result, params = measured("interval_median", ds, company=company, cohort=cohort)
    who = _who(ds, company, cohort)
    if result.lo is None or result.hi is None:
        share, share_params = measured("departed_share", ds, company=company, cohort=cohort)
        return Finding(f"{company}-{cohort}-interval-median",
                       f"Taking every date as the range its sources allow, fewer than half of {who} have left",
                       (Claim("departed_share", share_params, "less_than", "0.5"),), (share,))
    claim = Claim("interval_median", params, "between", between(int(result.lo), int(result.hi)))
    low, high = (float(v) for v in span(claim))
    when = days_and_years(low) if low == high else f"{days_and_years(low)} to {days_and_years(high)}"
    sentence = f"Taking every date as the range its sources allow, half of {who} had left within {when} of joining"
    return Finding(f"{company}-{cohort}-interval-median", sentence, (claim,), (result,))


def founders_vs_hires(ds: Dataset, company: str) -> Finding:
    """The founders against the named hires (executives left out), the comparison the survival page draws."""
    return comparison(ds, company, "founder", versus_cohort="hire", label="founders", versus_label="the named hires")
