"""What a question is about, checked once: the as-of day, the company, cohort, group and people left out.

`Scope.of` checks the raw values a caller gives (a company that exists, an as-of date the data can speak
for...) and makes a frozen `Scope`; everything below the metrics takes that value instead of the raw
arguments, so nothing is parsed or checked twice on the way down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from attrition import schema
from attrition.days import calendar_date, day_date
from attrition.io.dataset import Dataset
from attrition.result import MetricError
from attrition.schema import COHORTS, EPOCH, FIRST_DAY, LAST_DAY
from attrition.text import PLURAL, did_you_mean

if TYPE_CHECKING:
    import pandas as pd


class ScopeError(MetricError):
    """A scope value the data does not know; `parameter` names which (company, group, exclude, as_of), so that
    the registry can say which option or claim parameter gave it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def as_of_day(ds: Dataset, as_of: date | str | None) -> int:
    """The as-of date as a day number: the freeze date unless the caller names another day on or before it."""
    try:
        day = ds.freeze_date if as_of is None else calendar_date(as_of)
    except (ValueError, TypeError, OverflowError):
        raise ScopeError("as_of", f"as-of date {as_of!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ScopeError("as_of", f"as-of date {day} is outside the supported range {FIRST_DAY} to {LAST_DAY}")
    if day > ds.freeze_date:
        raise ScopeError("as_of", f"as-of date {day} is after the dataset's freeze date {ds.freeze_date}: "
                                  "the data says nothing about later days")
    return schema.day_number(day)


def groups_at(ds: Dataset, company: str) -> list[str]:
    """The groups people were in at `company`, over all their spells (evidence.csv's, else people.csv's)."""
    return [g for (g,) in ds.engine.rows(
        'SELECT DISTINCT g FROM (SELECT "group" AS g FROM people WHERE company = ? UNION ALL '
        'SELECT "group" FROM evidence WHERE company = ?) AS groups WHERE g <> \'\' ORDER BY 1', [company, company])]


def check_scope(ds: Dataset, company: str | None, cohort: str | None, exclude: Iterable[str] = (),
                group: str | None = None, option: str = "--exclude") -> list[str]:
    """Reject unknown companies, cohorts, groups and people with a message that lists valid choices and the
    nearest to what was given; `option` names the option that gave the people (--exclude, --person...).
    With no company (every company, which only the core asks about), only the cohort is checked: groups and
    people belong to a company."""
    if company is not None and company not in ds.companies:
        spelled = {**{c: c for c in ds.companies}, **{name: c for c, name in ds.company_names.items()}}
        known = f" (as known on {ds.known_as_of}: only sources published by then count)" if ds.known_as_of else ""
        raise ScopeError("company", f"unknown company {company!r}{did_you_mean(company, spelled)}; the data has: "
                                    f"{', '.join(ds.companies)}{known}")
    if cohort is not None and cohort not in COHORTS:
        raise ScopeError("cohort", f"unknown cohort {cohort!r}{did_you_mean(cohort, COHORTS)}; "
                                   f"choose one of: {', '.join(COHORTS)}")
    if company is None:
        return sorted(set(exclude))
    if group is not None:
        groups = groups_at(ds, company)
        if group not in groups:
            raise ScopeError("group", f"unknown group {group!r} at {company}{did_you_mean(group, groups)}; "
                                      f"the data has: {', '.join(groups) or 'no groups'}")
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
        raise ScopeError("exclude", f"{option} names no one at {company}: {', '.join(unknown)}{hints}"
                                      + ("" if hints else "; person ids are in people.csv (the person_id column)"))
    return wanted


def freeze_day(ds: Dataset) -> int:
    """The dataset's freeze date as a day number: the day whose derived tables are stored (no parsing needed)."""
    return schema.day_number(ds.freeze_date)


@dataclass(frozen=True)
class Scope:
    """One question's scope, checked: the as-of `day` (a day number), the company (every company when None), one
    cohort or several (`cohorts`), a group, the people left out (sorted), where someone still there stops
    counting (`censoring`, relations.CENSORING) and the day tenure is counted from instead of each join (`origin`).

    Make one with `Scope.of`, which checks the values; a Scope made directly is taken as checked (the core makes
    the company-wide and freeze-date scopes it needs that way).
    """

    day: int
    company: str | None = None
    cohort: str | None = None
    cohorts: tuple[str, ...] | None = None
    group: str | None = None
    exclude: tuple[str, ...] = ()
    censoring: str = "observed"
    origin: int | None = None

    @classmethod
    def of(cls, ds: Dataset, company: str | None = None, cohort: str | None = None, as_of: date | str | None = None,
           exclude: Iterable[str] = (), group: str | None = None, censoring: str = "observed",
           origin: date | str | None = None, cohorts: Iterable[str] | None = None,
           option: str = "--exclude") -> Scope:
        """The scope these values describe, checked against the data (`check_scope`, `as_of_day`; the same
        messages). Made once per dataset and values: the registry checks a claim's parameters by making its
        scope, and the metric it then calls, asking for the same scope, gets that one back unchecked again."""
        wanted = tuple(sorted(set(exclude)))
        chosen = None if cohorts is None else tuple(cohorts)
        key = ("scope", company, cohort, None if as_of is None else str(as_of), wanted, group, censoring,
               None if origin is None else str(origin), chosen, option)
        if key not in ds.derived:
            checked = tuple(check_scope(ds, company, cohort, wanted, group, option))
            ds.derived[key] = cls(day=as_of_day(ds, as_of), company=company, cohort=cohort, cohorts=chosen,
                                  group=group, exclude=checked, censoring=censoring,
                                  origin=None if origin is None else schema.day_number(calendar_date(origin)))
        return ds.derived[key]

    @classmethod
    def at_freeze(cls, ds: Dataset, company: str | None = None) -> Scope:
        """Everyone (at `company`, if given) as of the freeze date: what the stored derived tables hold."""
        return cls(freeze_day(ds), company)

    @property
    def date(self) -> date:
        """The as-of day as a calendar date, as results and sentences give it."""
        return day_date(self.day)

    @property
    def timestamp(self) -> pd.Timestamp:
        """The as-of day as a pandas Timestamp, to compare with the frames' date columns."""
        return _timestamp(self.day)

    @property
    def origin_timestamp(self) -> pd.Timestamp | None:
        """The day tenure is counted from, as a Timestamp (None: each person's own join)."""
        return None if self.origin is None else _timestamp(self.origin)

    @property
    def company_wide(self) -> Scope:
        """Everyone at this scope's company (every company if None) on its day: what the kept slices hold."""
        return Scope(self.day, self.company)

    def on(self, day: int) -> Scope:
        """The same people as of another day."""
        return replace(self, day=day)

    def nobody(self) -> str:
        """What a measure that needs someone says of a scope no one of had joined by its day, naming the group and
        the people left out: they may be why no one is there."""
        group = f" in group {self.group}" if self.group else ""
        left_out = f" (leaving out {', '.join(self.exclude)})" if self.exclude else ""
        return f"no {PLURAL[self.cohort]} of {self.company}{group} had joined by {self.date}{left_out}"

    def where(self) -> tuple[str, list]:
        """The WHERE clause and its parameters selecting this scope's rows (company, cohort(s), group, minus the
        people left out) from any table with those columns; the day is the table's own business."""
        clauses, params = [], []
        if self.group is not None:
            clauses.append('"group" = ?')
            params.append(self.group)
        if self.company is not None:
            clauses.append("company = ?")
            params.append(self.company)
        if self.cohort is not None:
            clauses.append("cohort = ?")
            params.append(self.cohort)
        if self.cohorts is not None:
            clauses.append("array_contains(?, cohort)")
            params.append(list(self.cohorts))
        if self.exclude:
            clauses.append("NOT array_contains(?, person_id)")
            params.append(list(self.exclude))
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _timestamp(day: int) -> pd.Timestamp:
    """A day number as a nanosecond Timestamp, the unit of the frames' date columns."""
    import pandas as pd  # only the measures that read frames ask for one; the rest never load pandas

    return pd.Timestamp(EPOCH) + pd.Timedelta(days=day)
