"""Single facts as metric results (an event's date, a milestone's date, a prior affiliation) and the
arithmetic that claims do with them, so that claims are checked through the same machinery. Each fact
is one row from the engine: nothing here needs pandas."""

from __future__ import annotations

from datetime import date

from attrition.core import lookups, relations
from attrition.core.scope import Scope, check_scope
from attrition.days import day_date
from attrition.io.dataset import Dataset
from attrition.measures.metrics import headcount
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL, format_interval


def _date_result(metric: str, company: str, lo: int, hi: int, what: str, details: dict,
                 person: str | None = None) -> MetricResult:
    """A fact dated [lo, hi] (day numbers) as a metric result."""
    first, last = day_date(lo), day_date(hi)
    return MetricResult(metric=metric, company=company, cohort=None, as_of=last.isoformat(),
                        lo=first.isoformat(), hi=last.isoformat(), unit="date",
                        text=f"{what}: {format_interval(first, last)}", person_ids={"person": [person]} if person else {},
                        details=details)


def event_date(ds: Dataset, company: str, person: str, event: str = "leave", spell: int = 1) -> MetricResult:
    """The resolved date interval of one person's join, leave or step back."""
    check_scope(ds, company, None, ())
    found = lookups.event(ds, company, person, event, spell)
    if found is None:
        raise MetricError(f"no {event} of {person!r} at {company} (spell {spell}) in evidence.csv")
    name, lo, hi, conflict, source_ids = found
    return _date_result("event_date", company, lo, hi, f"{name}: {event.replace('_', ' ')}",
                        {"conflict": bool(conflict), "source_ids": source_ids}, person)


def milestone_date(ds: Dataset, company: str, milestone_id: str) -> MetricResult:
    """The resolved date interval of a company milestone."""
    found = lookups.milestone(ds, company, milestone_id)
    if found is None:
        raise MetricError(f"no milestone {milestone_id!r} for {company} in milestones.csv")
    label, lo, hi, conflict, source_ids = found
    return _date_result("milestone_date", company, lo, hi, label, {"conflict": bool(conflict), "source_ids": source_ids})


def years_since_milestone(ds: Dataset, company: str, milestone_id: str, as_of: date | str | None = None) -> MetricResult:
    """Years from a milestone (e.g. the founding) to `as_of`, a range where the milestone's date is."""
    ms = milestone_date(ds, company, milestone_id)
    cutoff = Scope.of(ds, as_of=as_of).date
    lo = (cutoff - date.fromisoformat(ms.hi)).days / 365.25
    hi = (cutoff - date.fromisoformat(ms.lo)).days / 365.25
    span = f"{lo:.2f}" if lo == hi else f"{lo:.2f} to {hi:.2f}"
    return MetricResult(metric="years_since_milestone", company=company, cohort=None, as_of=cutoff.isoformat(),
                        lo=lo, hi=hi, unit="years", text=f"{span} years from {ms.text} to {cutoff}",
                        details={"milestone_id": milestone_id, **ms.details})


def count_ratio(ds: Dataset, company: str, count_id: str, cohort: str | None = None,
                as_of: date | str | None = None) -> MetricResult:
    """A reported count divided by the named cohort's headcount on `as_of` ("34 is more than double 12")."""
    found = lookups.reported_count(ds, count_id)
    if found is None:
        raise MetricError(f"no reported count {count_id!r} in reported_counts.csv")
    value, source_id = int(found["value"]), found["source_id"]
    team = headcount(ds, company, cohort, as_of)
    if not team.hi:
        raise MetricError(f"no named {PLURAL[cohort]} of {company} on {team.as_of} to divide {count_id} by")
    lo, hi = value / team.hi, value / team.lo if team.lo else None  # None: no upper bound, as claims read it
    span = f"{lo:.2f}" if lo == hi else f"{lo:.2f} or more" if hi is None else f"{lo:.2f} to {hi:.2f}"
    return MetricResult(metric="count_ratio", company=company, cohort=cohort, as_of=team.as_of, lo=lo, hi=hi,
                        unit="ratio", text=f"{value} ({count_id}) / {team.lo if team.lo == team.hi else f'{team.lo} to {team.hi}'} "
                        f"named {PLURAL[cohort]} on {team.as_of} = {span}",
                        numerator={"lo": value, "hi": value}, denominator={"lo": team.lo, "hi": team.hi},
                        person_ids=team.person_ids, details={"count_id": count_id, "source_id": source_id})


def weekly_hours_per_day(ds: Dataset, hours: float, company: str | None = None) -> MetricResult:
    """Hours per week spread over all seven days: the arithmetic behind "80 hours a week"."""
    per_day = float(hours) / 7
    return MetricResult(metric="weekly_hours_per_day", company=company or "", cohort=None,
                        as_of=ds.freeze_date.isoformat(), lo=per_day, hi=per_day, unit="hours per day",
                        text=f"{float(hours):g} hours a week / 7 days = {per_day:.2f} hours a day",
                        numerator={"lo": float(hours), "hi": float(hours)}, denominator={"lo": 7, "hi": 7})


def prior_affiliation(ds: Dataset, company: str, person: str, affiliation: str) -> MetricResult:
    """1 if people.csv lists `affiliation` (case-insensitive, as part of a name) among the person's priors."""
    found = lookups.person(ds, company, person)
    if found is None:
        raise MetricError(f"no person {person!r} at {company}")
    name, _, listed = found
    priors = [p.strip() for p in listed.split(";") if p.strip()]
    found_it = int(any(affiliation.lower() in p.lower() for p in priors))
    text = f"{name}: prior affiliations {', '.join(priors) or 'none recorded'}; " \
           f"{affiliation!r} {'listed' if found_it else 'not listed'}"
    return MetricResult(metric="prior_affiliation", company=company, cohort=None, as_of=ds.freeze_date.isoformat(),
                        lo=found_it, hi=found_it, unit="yes (1) or no (0)", text=text, person_ids={"person": [person]},
                        details={"prior_affiliations": priors})


RECORDS = {"people": "people the data names", "evidence": "dated statements", "sources": "sources cited",
           "conflicts": "events whose sources disagree"}
"""What `record_count` counts, in words."""


def record_count(ds: Dataset, company: str, table: str, cohort: str | None = None) -> MetricResult:
    """How many people, dated statements, cited sources or conflicting events the data holds for a company
    (people in one cohort if given): the counts a page gives when it says what its numbers rest on."""
    check_scope(ds, company, cohort)
    if table not in RECORDS:
        raise MetricError(f"record_count counts one of {', '.join(RECORDS)}, not {table!r}")
    if cohort is not None and table != "people":
        raise MetricError("record_count takes a cohort only for people")
    n = lookups.records(ds, company, table, cohort)
    what = RECORDS[table] + (f" ({PLURAL[cohort]})" if cohort else "")
    return MetricResult(metric="record_count", company=company, cohort=cohort, as_of=ds.freeze_date.isoformat(),
                        lo=int(n), hi=int(n), unit=table, text=f"{int(n):,} {what} at {ds.company_names[company]}")


def last_seen(ds: Dataset, company: str, person: str, spell: int | None = None) -> MetricResult:
    """The last day a source shows a person at a company (their latest spell unless one is named): a
    sighting, their join or the end of the spell. Still there holds only up to it."""
    check_scope(ds, company, None, [person])
    freeze = Scope.at_freeze(ds, company)
    found = lookups.sighting(ds, freeze, person, spell)
    if found is None:
        raise MetricError(f"no spell {spell} of {person!r} at {company}")
    name, number, seen, end_lo = found
    what = f"{name}: last seen at {ds.company_names[company]}" + (" (the spell's end)" if end_lo is not None else "")
    return _date_result("last_seen", company, seen, seen, what, {"spell": int(number), "ended": end_lo is not None},
                        person)


def interruptions(ds: Dataset, company: str, person: str) -> MetricResult:
    """How many times a person left and came back within the interruption window (relations.INTERRUPTION_DAYS):
    absences the survival pages do not count as leaving."""
    check_scope(ds, company, None, [person])
    freeze = Scope.at_freeze(ds, company)
    found = lookups.interruptions(ds, freeze, person)
    if found is None:
        raise MetricError(f"{person} had not joined {company} by {freeze.date}")
    name, count = found[0], int(found[1])
    return MetricResult(metric="interruptions", company=company, cohort=None, as_of=freeze.date.isoformat(),
                        lo=count, hi=count, unit="interruptions",
                        text=f"{name}: {count} absence{'s' if count != 1 else ''} of up to "
                             f"{relations.INTERRUPTION_DAYS} days not counted as leaving {ds.company_names[company]}",
                        person_ids={"person": [person]})


def reported_count(ds: Dataset, count_id: str) -> MetricResult:
    """The number a source reported (reported_counts.csv), as a metric, so a sentence quoting it is checked."""
    found = lookups.reported_count(ds, count_id)
    if found is None:
        raise MetricError(f"no reported count {count_id!r} in reported_counts.csv")
    company, measure, value, source_id, end = (found[c] for c in ("company", "measure", "value", "source_id", "end"))
    return MetricResult(metric="reported_count", company=company, cohort=None, as_of=day_date(end).isoformat(),
                        lo=int(value), hi=int(value), unit=measure,
                        text=f"{int(value):,} {measure.replace('_', ' ')} reported ({source_id})",
                        details={"source_id": source_id, "end": day_date(end).isoformat()})
