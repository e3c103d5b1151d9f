"""Roster metrics as ranges: what the sourced data says on a given day, and how sure it can be.

Where a date is only known as an interval that straddles the as-of day, a person may or may not be
counted, so every metric returns `lo` and `hi` bounds together with the people behind them. The
CLI, the notebooks and the claims ledger all call these same functions. Each is one query over the
spells as of its day (`tables.day_spells`), counted by the engine (`core.departures`): only counts and
the people counted leave it, and nothing here needs pandas, so checking the claims does not load it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from attrition.core import departures, lookups
from attrition.core.scope import Scope
from attrition.days import calendar_date, day_number
from attrition.io.dataset import Dataset
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL, cohort_noun, ordinal, range_text


def departed_share(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                   exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Share of a cohort that had left by `as_of` (a step back counts as leaving)."""
    return _departed(ds, Scope.of(ds, company, cohort, as_of, exclude, group), share=True)


def departed_count(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                   exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Number of a cohort who had left by `as_of` (a step back counts as leaving)."""
    return _departed(ds, Scope.of(ds, company, cohort, as_of, exclude, group), share=False)


def _departed(ds: Dataset, scope: Scope, share: bool) -> MetricResult:
    company, cohort, group = scope.company, scope.cohort, scope.group
    (num_lo, num_hi, den_lo, den_hi, share_lo, share_hi), people = departures.departed(ds, scope)
    day = scope.date
    in_group = f" in {group}" if group else ""
    noun = PLURAL[cohort] + in_group
    if share:
        if den_hi == 0:
            raise MetricError(f"{scope.nobody()}: the share is undefined")
        lo, hi = float(share_lo), float(share_hi)
        text = (f"{range_text(num_lo, num_hi)} of {range_text(den_lo, den_hi)} {noun} departed "
                f"({range_text(lo * 100, hi * 100, '{:.1f}%')}) as of {day}")
    else:
        lo, hi = int(num_lo), int(num_hi)
        text = (f"{range_text(num_lo, num_hi)} {cohort_noun(cohort, lo, hi)}{in_group} departed as of {day} "
                f"(of {range_text(den_lo, den_hi)} counted)")
    return MetricResult(
        metric="departed_share" if share else "departed_count",
        company=company, cohort=cohort, as_of=day.isoformat(), lo=lo, hi=hi,
        unit="share" if share else "people", text=text,
        numerator={"lo": int(num_lo), "hi": int(num_hi)}, denominator={"lo": int(den_lo), "hi": int(den_hi)},
        person_ids=people, excluded=list(scope.exclude),
    )


def remaining_count(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                    exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Number of a cohort still at the company on `as_of`: `lo` counts those a source shows there on or after
    that day, `hi` adds those who may be (a join or leave date straddles the day, or not observed since an
    earlier sighting, listed as `unseen`)."""
    scope = Scope.of(ds, company, cohort, as_of, exclude, group)
    people = departures.remaining(ds, scope)
    lo = len(people["remaining"])
    hi = lo + len(people["uncertain"]) + len(people["unseen"])
    day = scope.date
    unseen = f" ({len(people['unseen'])} not observed since an earlier sighting)" if people["unseen"] else ""
    text = (f"{range_text(lo, hi)} {cohort_noun(cohort, lo, hi)}{f' in group {group}' if group else ''} remaining at "
            f"{ds.company_names[company]} as of {day}{unseen}")
    return MetricResult(
        metric="remaining_count", company=company, cohort=cohort, as_of=day.isoformat(),
        lo=lo, hi=hi, unit="people", text=text, person_ids=people, excluded=list(scope.exclude),
    )


def headcount(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
              exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Named people at the company on `as_of`, all cohorts unless one is given (roster only)."""
    result = remaining_count(ds, company, cohort, as_of, exclude, group)
    text = result.text.replace("remaining at", "on the named roster of")
    return MetricResult(**{**result.to_dict(), "metric": "headcount", "text": text})


def departures_between(ds: Dataset, company: str, start: date | str, end: date | str, cohort: str | None = None,
                       exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Departures whose date falls in [start, end], both days included.

    `lo` counts departures whose whole date interval lies inside the window; `hi` adds those whose
    interval only overlaps it.
    """
    first, last = calendar_date(start), calendar_date(end)
    if last < first:
        raise MetricError(f"--end {last} is before --start {first}")
    scope = Scope.of(ds, company, cohort, last, exclude, group)
    people = departures.left_between(ds, scope, day_number(first))
    lo = len(people["departed"])
    hi = lo + len(people["uncertain"])
    noun = f"{cohort} departure" if cohort else "departure"
    noun = noun if hi == 1 else noun + "s"
    text = f"{range_text(lo, hi)} {noun} at {ds.company_names[company]} between {first} and {last}"
    return MetricResult(
        metric="departures_between", company=company, cohort=cohort, as_of=last.isoformat(),
        lo=lo, hi=hi, unit="departures", text=text,
        window={"start": first.isoformat(), "end": last.isoformat()},
        person_ids=people, excluded=list(scope.exclude),
    )


def departure_rank(ds: Dataset, company: str, person: str, cohort: str | None = None,
                   as_of: date | str | None = None) -> MetricResult:
    """Where a person's departure falls in the order of their cohort's departures (1 = first to leave).

    A range where dates overlap: `lo` counts only those certainly gone earlier, `hi` everyone who
    may have gone earlier or on the same day.
    """
    scope = Scope.of(ds, company, cohort, as_of)
    if cohort is None:
        found = lookups.person(ds, company, person)
        if found is None:
            raise MetricError(f"no person {person!r} at {company}")
        cohort = found[1]
        scope = replace(scope, cohort=cohort)  # a cohort of the data, so nothing to check
    found = departures.rank(ds, scope, person)
    day = scope.date
    if found is None:
        raise MetricError(f"{person} had not left {company} as of {day}, so has no departure rank")
    name, counted, people = found
    people["maybe_earlier"].remove(person)  # they are among those who may have left before them
    lo = len(people["earlier"]) + 1
    hi = lo + len(people["maybe_earlier"])
    rank = ordinal(lo) if lo == hi else f"{ordinal(lo)} to {ordinal(hi)}"
    text = f"{name} was the {rank} of {counted} {ds.company_names[company]} {PLURAL[cohort]} to leave (as of {day})"
    return MetricResult(
        metric="departure_rank", company=company, cohort=cohort, as_of=day.isoformat(),
        lo=lo, hi=hi, unit="rank", text=text,
        denominator={"lo": counted, "hi": counted}, person_ids=people, details={"person": person},
    )
