"""Single facts as metric results (an event's date, a milestone's date, a prior affiliation) and the
arithmetic that claims do with them, so that claims are checked through the same machinery."""

from __future__ import annotations

from datetime import date

import pandas as pd

from attrition.dataset import Dataset
from attrition.metrics import headcount
from attrition.result import MetricError, MetricResult
from attrition.roster import as_of_timestamp, events, milestones
from attrition.roster import person as person_row
from attrition.tables import check_scope
from attrition.text import PLURAL, format_interval


def _date_result(metric: str, company: str, lo: pd.Timestamp, hi: pd.Timestamp, what: str, details: dict,
                 person: str | None = None) -> MetricResult:
    return MetricResult(metric=metric, company=company, cohort=None, as_of=hi.date().isoformat(),
                        lo=lo.date().isoformat(), hi=hi.date().isoformat(), unit="date",
                        text=f"{what}: {format_interval(lo, hi)}", person_ids={"person": [person]} if person else {},
                        details=details)


def event_date(ds: Dataset, company: str, person: str, event: str = "leave", spell: int = 1) -> MetricResult:
    """The resolved date interval of one person's join, leave or step back."""
    check_scope(ds, company, None, ())
    ev = events(ds)
    row = ev[(ev["company"] == company) & (ev["person_id"] == person) & (ev["event"] == event) & (ev["spell"] == spell)]
    if row.empty:
        raise MetricError(f"no {event} of {person!r} at {company} (spell {spell}) in evidence.csv")
    r = row.iloc[0]
    return _date_result("event_date", company, r["earliest"], r["latest"], f"{r['name']}: {event.replace('_', ' ')}",
                        {"conflict": bool(r["conflict"]), "source_ids": r["source_ids"]}, person)


def milestone_date(ds: Dataset, company: str, milestone_id: str) -> MetricResult:
    """The resolved date interval of a company milestone."""
    ms = milestones(ds)
    row = ms[(ms["company"] == company) & (ms["milestone_id"] == milestone_id)]
    if row.empty:
        raise MetricError(f"no milestone {milestone_id!r} for {company} in milestones.csv")
    r = row.iloc[0]
    return _date_result("milestone_date", company, r["earliest"], r["latest"], r["label"],
                        {"conflict": bool(r["conflict"]), "source_ids": r["source_ids"]})


def years_since_milestone(ds: Dataset, company: str, milestone_id: str, as_of: date | str | None = None) -> MetricResult:
    """Years from a milestone (e.g. the founding) to `as_of`, a range where the milestone's date is."""
    ms = milestone_date(ds, company, milestone_id)
    cutoff = as_of_timestamp(ds, as_of)
    lo = (cutoff - pd.Timestamp(ms.hi)).days / 365.25
    hi = (cutoff - pd.Timestamp(ms.lo)).days / 365.25
    span = f"{lo:.2f}" if lo == hi else f"{lo:.2f} to {hi:.2f}"
    return MetricResult(metric="years_since_milestone", company=company, cohort=None, as_of=cutoff.date().isoformat(),
                        lo=lo, hi=hi, unit="years", text=f"{span} years from {ms.text} to {cutoff.date()}",
                        details={"milestone_id": milestone_id, **ms.details})


def count_ratio(ds: Dataset, company: str, count_id: str, cohort: str | None = None,
                as_of: date | str | None = None) -> MetricResult:
    """A reported count divided by the named cohort's headcount on `as_of` ("34 is more than double 12")."""
    counts = ds.counts.set_index("count_id")
    if count_id not in counts.index:
        raise MetricError(f"no reported count {count_id!r} in reported_counts.csv")
    value = int(counts.loc[count_id, "value"])
    team = headcount(ds, company, cohort, as_of)
    lo, hi = value / team.hi, value / team.lo if team.lo else float("inf")
    span = f"{lo:.2f}" if lo == hi else f"{lo:.2f} to {hi:.2f}"
    return MetricResult(metric="count_ratio", company=company, cohort=cohort, as_of=team.as_of, lo=lo, hi=hi,
                        unit="ratio", text=f"{value} ({count_id}) / {team.lo if team.lo == team.hi else f'{team.lo} to {team.hi}'} "
                        f"named {PLURAL[cohort]} on {team.as_of} = {span}",
                        numerator={"lo": value, "hi": value}, denominator={"lo": team.lo, "hi": team.hi},
                        person_ids=team.person_ids, details={"count_id": count_id, "source_id": counts.loc[count_id, "source_id"]})


def weekly_hours_per_day(ds: Dataset, hours: float, company: str | None = None) -> MetricResult:
    """Hours per week spread over all seven days: the arithmetic behind "80 hours a week"."""
    per_day = float(hours) / 7
    return MetricResult(metric="weekly_hours_per_day", company=company or "", cohort=None,
                        as_of=ds.freeze_date.isoformat(), lo=per_day, hi=per_day, unit="hours per day",
                        text=f"{float(hours):g} hours a week / 7 days = {per_day:.2f} hours a day",
                        numerator={"lo": float(hours), "hi": float(hours)}, denominator={"lo": 7, "hi": 7})


def prior_affiliation(ds: Dataset, company: str, person: str, affiliation: str) -> MetricResult:
    """1 if people.csv lists `affiliation` (case-insensitive, as part of a name) among the person's priors."""
    row = person_row(ds, company, person)
    priors = [p.strip() for p in row["prior_affiliations"].split(";") if p.strip()]
    found = int(any(affiliation.lower() in p.lower() for p in priors))
    text = f"{row['name']}: prior affiliations {', '.join(priors) or 'none recorded'}; " \
           f"{affiliation!r} {'listed' if found else 'not listed'}"
    return MetricResult(metric="prior_affiliation", company=company, cohort=None, as_of=ds.freeze_date.isoformat(),
                        lo=found, hi=found, unit="yes (1) or no (0)", text=text, person_ids={"person": [person]},
                        details={"prior_affiliations": priors})
