"""What a question is about, checked once: the as-of day, the company, cohort, group and people left out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from attrition import schema
from attrition.days import calendar_date, day_date
from attrition.io.dataset import Dataset
from attrition.result import MetricError
from attrition.schema import COHORTS, FIRST_DAY, LAST_DAY
from attrition.text import did_you_mean


def as_of_day(ds: Dataset, as_of: date | str | None) -> int:
    """The as-of date as a day number: the freeze date unless the caller names another day on or before it."""
    try:
        day = ds.freeze_date if as_of is None else calendar_date(as_of)
    except (ValueError, TypeError, OverflowError):
        raise MetricError(f"as-of date {as_of!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise MetricError(f"as-of date {day} is outside the supported range {FIRST_DAY} to {LAST_DAY}")
    if day > ds.freeze_date:
        raise MetricError(f"as-of date {day} is after the dataset's freeze date {ds.freeze_date}: "
                          "the data says nothing about later days")
    return schema.day_number(day)


def as_of_date(ds: Dataset, as_of: date | str | None) -> date:
    """The as-of date as a calendar day (see `as_of_day`)."""
    return day_date(as_of_day(ds, as_of))


def where_clause(company: str | None = None, cohort: str | None = None, exclude: Iterable[str] = (),
          cohorts: Iterable[str] | None = None, group: str | None = None) -> tuple[str, list]:
    """A WHERE clause and its parameters selecting one company, cohort(s), group, minus excluded people."""
    clauses, params = [], []
    if group is not None:
        clauses.append('"group" = ?')
        params.append(group)
    if company is not None:
        clauses.append("company = ?")
        params.append(company)
    if cohort is not None:
        clauses.append("cohort = ?")
        params.append(cohort)
    if cohorts is not None:
        clauses.append("array_contains(?, cohort)")
        params.append(list(cohorts))
    excluded = list(exclude)
    if excluded:
        clauses.append("NOT array_contains(?, person_id)")
        params.append(excluded)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def groups_at(ds: Dataset, company: str) -> list[str]:
    """The groups people were in at `company`, over all their spells (evidence.csv's, else people.csv's)."""
    return [g for (g,) in ds.engine.rows(
        'SELECT DISTINCT g FROM (SELECT "group" AS g FROM people WHERE company = ? UNION ALL '
        'SELECT "group" FROM evidence WHERE company = ?) AS groups WHERE g <> \'\' ORDER BY 1', [company, company])]


def check_scope(ds: Dataset, company: str, cohort: str | None, exclude: Iterable[str] = (),
                group: str | None = None, option: str = "--exclude") -> list[str]:
    """Reject unknown companies, cohorts, groups and people with a message that lists valid choices and the
    nearest to what was given; `option` names the option that gave the people (--exclude, --person...)."""
    if company not in ds.companies:
        spelled = {**{c: c for c in ds.companies}, **{name: c for c, name in ds.company_names.items()}}
        known = f" (as known on {ds.known_as_of}: only sources published by then count)" if ds.known_as_of else ""
        raise MetricError(f"unknown company {company!r}{did_you_mean(company, spelled)}; the data has: "
                          f"{', '.join(ds.companies)}{known}")
    if cohort is not None and cohort not in COHORTS:
        raise MetricError(f"unknown cohort {cohort!r}{did_you_mean(cohort, COHORTS)}; choose one of: {', '.join(COHORTS)}")
    if group is not None:
        groups = groups_at(ds, company)
        if group not in groups:
            raise MetricError(f"unknown group {group!r} at {company}{did_you_mean(group, groups)}; the data has: "
                              f"{', '.join(groups) or 'no groups'}")
    wanted = sorted(set(exclude))
    if not wanted:
        return wanted
    key = ("known people", company, tuple(wanted))  # the claims ask about the same few people again and again
    if key not in ds.derived:
        ds.derived[key] = {p for (p,) in ds.engine.rows(
            "SELECT person_id FROM people WHERE company = ? AND array_contains(?, person_id)", [company, wanted])}
    unknown = [p for p in wanted if p not in ds.derived[key]]
    if unknown:
        known = dict(ds.engine.rows("SELECT person_id, person_id FROM people WHERE company = ?", [company]))
        known.update(ds.engine.rows("SELECT name, person_id FROM people WHERE company = ?", [company]))
        hints = "".join(did_you_mean(p, known) for p in unknown)
        raise MetricError(f"{option} names no one at {company}: {', '.join(unknown)}{hints}"
                          + ("" if hints else "; person ids are in people.csv (the person_id column)"))
    return wanted
