"""The relational core's tables in the dataset's engine.

Each derived table (resolved events, spells and first lasting departures as of a day, milestones) is
made once per dataset by `attrition.core.relations`' SQL and named here; `attrition.core.roster` hands
slices of them to pandas. Nothing in this module needs pandas, so `attrition validate` and `attrition
build` do not load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from attrition.backends.duckdb import literal
from attrition.core import relations
from attrition.core.scope import Scope, freeze_day
from attrition.days import day_number
from attrition.io import checks
from attrition.io.dataset import Dataset
from attrition.result import MetricError
from attrition.schema import EPOCH

DATE_COLUMNS = ("earliest", "latest", "start_lo", "start_hi", "end_lo", "end_hi", "resolved_earliest",
                "resolved_latest", "as_of", "seen_until", "company_end")
"""Columns of the derived tables that hold day numbers (days since 1970-01-01)."""


EVENT_ORDER = "person_id, company, spell, earliest, event"
"""The order events are listed in, in files and in frames."""
SPELL_ORDER = "company, cohort, start_lo, person_id, spell"
"""The order spells are listed in, in files and in frames."""


def derived(ds: Dataset, name: str, make: Callable[[], str], order: str | None = None) -> str:
    """Compute a derived table in the dataset's engine once, from the query `make` returns (stored in `order`, if
    given, so that its file is written straight from it); later calls, and a table kept in the cache, are reused
    without asking for the query, so the tables it is made from are not made either."""
    if name not in ds.derived:
        sql = make()
        if order is None:
            ds.engine.table(name, sql)
        else:
            ds.engine.sorted_table(name, sql, order)
        ds.derived[name] = name
    return name


def event_groups_table(ds: Dataset) -> str:
    """The evidence grouped by event; the checks made it already when the dataset was read from its files."""
    return derived(ds, "event_groups", lambda: checks.event_groups(ds.engine.spelling))


def events_table(ds: Dataset) -> str:
    ids = ds.engine.spelling.ordered_ids("source_id")
    return derived(ds, "events", lambda: relations.events(event_groups_table(ds), ids), EVENT_ORDER)


def milestones_table(ds: Dataset) -> str:
    return derived(ds, "milestones_resolved", lambda: relations.milestones(ds.engine.spelling.ordered_ids("source_id")))


def spell_ends_table(ds: Dataset) -> str:
    return derived(ds, "spell_ends", lambda: relations.spell_ends(events_table(ds)))


def sightings_table(ds: Dataset) -> str:
    return derived(ds, "spell_sightings", relations.sightings)


def spells_table(ds: Dataset, scope: Scope) -> str:
    """Spells as of the scope's day: the stored table at the freeze date, else the core query (for the scope's
    company if it has one). Which people of them the scope selects is `scope.where()`'s business."""
    cutoff = scope.day
    if cutoff == freeze_day(ds):
        return derived(ds, f"spells_{cutoff + 100_000}", lambda: relations.spells(
            cutoff, events_table(ds), spell_ends_table(ds), sightings_table(ds)), SPELL_ORDER)
    events = events_table(ds)
    source = events if scope.company is None else f"(SELECT * FROM {events} WHERE company = {literal(scope.company)})"
    return f"({relations.spells(cutoff, source, spell_ends_table(ds), sightings_table(ds))}) AS spells"


def lasting_table(ds: Dataset, scope: Scope) -> str:
    """First lasting departures as of the scope's day, stored at the freeze date, else computed (for the scope's
    company if it has one)."""
    cutoff = scope.day
    if cutoff == freeze_day(ds):
        return derived(ds, f"lasting_{cutoff + 100_000}",
                       lambda: relations.lasting(spells_table(ds, Scope(cutoff)), cutoff))
    return f"({relations.lasting(spells_table(ds, scope), cutoff)}) AS lasting"


def day_spells(ds: Dataset, scope: Scope) -> str:
    """The stored table that holds the spells at the scope's company (every company if None) as of its day, among
    those as of other days: column `as_of` says the day, `latest` marks each person's most recent spell then."""
    prepare_days(ds, [scope.day], scope.company)
    return ds.derived[("day spells", scope.company)][scope.day]


def prepare_days(ds: Dataset, days: Iterable[int], company: str | None) -> None:
    """Store the spells at `company` as of each of `days` not stored yet, all in one query (see `day_spells`).

    The claims ledger asks about fifteen days: made together, the spells query is planned once, not
    once per claim.
    """
    made = ds.derived.setdefault(("day spells", company), {})
    missing = sorted(set(days) - set(made))
    if not missing:
        return
    freeze = freeze_day(ds)
    clause, params = Scope(freeze, company).where()
    parts, values = [], []
    if freeze in missing:  # stored already, for every company
        parts.append(f"SELECT {freeze} AS as_of, * FROM {spells_table(ds, Scope(freeze))} {clause}")
        values += params
    others = [day for day in missing if day != freeze]
    if others:
        ds.engine.load_integers("days_asked", {"day": others})
        source = f"(SELECT ev.*, d.day FROM {events_table(ds)} AS ev JOIN days_asked AS d ON ev.earliest <= d.day {clause})"
        parts.append(relations.spells("day", source, spell_ends_table(ds), sightings_table(ds)))
        values += params
    made_before = ds.derived.get(("day spells made",), 0)
    name = f"day_spells_{made_before}"
    ds.derived[("day spells made",)] = made_before + 1
    ds.engine.table(name, f"SELECT *, spell = max(spell) OVER (PARTITION BY as_of, person_id, company) AS latest "
                          f"FROM ({' UNION ALL '.join(parts)}) AS days", values)
    made.update(dict.fromkeys(missing, name))


def people_where(ds: Dataset, table: str, where: str, params: list, lists: dict[str, str]) -> dict[str, list[str]]:
    """The people (sorted ids) of `table`'s rows matching `where` that meet each of `lists` (name: condition),
    in one query."""
    chosen = ", ".join(f"{expression} AS {name}" for name, expression in id_lists(ds, lists).items())
    return listed_people(ds.engine.rows(f"SELECT {chosen} FROM {table} {where}", params)[0], lists)


def id_lists(ds: Dataset, lists: dict[str, str]) -> dict[str, str]:
    """For each of `lists` (name: condition on a row), the aggregate listing the people whose rows meet it."""
    listed = ds.engine.spelling.ordered_ids
    return {name: listed(f"CASE WHEN {condition} THEN person_id END") for name, condition in lists.items()}


def listed_people(row: tuple, names: Iterable[str]) -> dict[str, list[str]]:
    """The lists of people that end a query's row (each made by `id_lists`), by name, sorted."""
    names = list(names)
    return {name: sorted(ids.split(";")) if ids else [] for name, ids in zip(names, row[len(row) - len(names):])}


def conflicted_events(ds: Dataset) -> int:
    """How many events have sources that disagree."""
    return int(ds.engine.rows(f"SELECT count(*) FROM {events_table(ds)} WHERE conflict")[0][0])


def _by(cutoff: int | None, column: str) -> str:
    """The condition that keeps what may have happened by day `cutoff` (its earliest day on or before it); none
    when there is no cutoff. One rule for every dated table of `build --as-of`, as the spells' start."""
    return "" if cutoff is None else f" AND {column} <= {int(cutoff)}"


def events_sql(ds: Dataset, cutoff: int | None = None, ordered: bool = True) -> str:
    """Resolved events, those that may have happened by `cutoff` if given; unless `ordered`, read in the order
    the table is stored in, which is EVENT_ORDER (`engine.in_order`: for writing its file straight from it)."""
    where = f"WHERE true{_by(cutoff, 'earliest')}"
    return f"SELECT * FROM {events_table(ds)} {where} ORDER BY {EVENT_ORDER}" if ordered else \
        ds.engine.in_order(events_table(ds), EVENT_ORDER, where)


def conflicts_sql(ds: Dataset, cutoff: int | None = None) -> str:
    """Each source's interval for a resolved event whose sources disagree (of the events by `cutoff`, if given)."""
    return f"""
        SELECT v.person_id, v.company, v.spell, v.event, v.source_id, v.earliest, v.latest, v.paraphrase,
               e.earliest AS resolved_earliest, e.latest AS resolved_latest
        FROM evidence AS v JOIN {events_table(ds)} AS e ON e.person_id = v.person_id AND e.company = v.company
            AND e.spell = v.spell AND e.event = v.event
        WHERE e.conflict{_by(cutoff, 'e.earliest')}
        ORDER BY v.person_id, v.company, v.spell, v.event, v.earliest, v.source_id"""


def milestones_sql(ds: Dataset, cutoff: int | None = None) -> str:
    """Resolved company milestones, those that may have happened by `cutoff` if given."""
    return (f"SELECT * FROM {milestones_table(ds)} WHERE true{_by(cutoff, 'earliest')} "
            "ORDER BY company, earliest, milestone_id")


def spells_sql(ds: Dataset, scope: Scope, ordered: bool = True) -> str:
    """Every spell at the scope's company (every company if None) as of its day, with that day as column `as_of`
    (the scope's other filters are for its callers to apply to the slice)."""
    clause = "" if scope.company is None else f"WHERE company = {literal(scope.company)}"
    sql = f"SELECT *, {scope.day} AS as_of FROM {spells_table(ds, scope)} {clause}"
    return f"{sql} ORDER BY {SPELL_ORDER}" if ordered else sql


def _next_period(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1)


def _calendar(first: int, last: int, freq: str, start: int | None) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Each day in [first, last] mapped to the first grid day (month or year start) on or after it, built a
    period at a time; and the grid days up to `last`. With `start`, no day maps before the first grid day from it."""
    months = {"MS": 1, "YS": 12}.get(freq)
    if months is None:
        raise MetricError(f"unknown frequency {freq!r}; use MS (month starts) or YS (year starts)")
    first_date = EPOCH + timedelta(days=first)
    period = date(first_date.year, first_date.month if months == 1 else 1, 1)
    days: list[int] = []
    grid_days: list[int] = []
    while (period - EPOCH).days <= last:
        following = _next_period(period, months)
        begins, ends = (period - EPOCH).days, (following - EPOCH).days
        lo, hi = max(begins, first), min(ends - 1, last)
        days.extend(range(lo, hi + 1))
        grid_days.extend([begins if lo == begins else ends] + [ends] * (hi - lo))
        period = following
    if start is not None:
        floor = min((g for d, g in zip(days, grid_days) if d >= start), default=start)
        grid_days = [max(g, floor) for g in grid_days]
    return {"day": days, "grid_day": grid_days}, {"grid_day": sorted({g for g in grid_days if g <= last})}


def headcount_sql(ds: Dataset, scope: Scope, freq: str = "MS", start: date | str | None = None) -> tuple[str, list] | None:
    """The query (and its parameters) for named people surely (`lo`) and possibly (`hi`) at the scope's
    company (each company if None) of its cohorts on each grid day up to its day, ordered by company and day;
    None when no one is in scope.

    The grid is the first day of each month (MS) or year (YS), from each company's first join, or
    from `start` when given. This counts the named roster only, which for most companies is far
    from everyone.
    """
    cutoff = scope.day
    table = spells_table(ds, scope)
    clause, params = scope.where()
    first = ds.engine.rows(f"SELECT min(start_lo) FROM {table} {clause}", params)[0][0]
    if first is None:
        return None
    start_day = None if start is None else day_number(start)
    calendar, grid = _calendar(min(first, start_day if start_day is not None else first), cutoff, freq, start_day)
    ds.engine.load_integers("calendar", calendar)
    ds.engine.load_integers("grid", grid)
    first_grid = None if start_day is None else min(grid["grid_day"], default=start_day)
    return f"{relations.headcount(table, 'calendar', 'grid', clause, first_grid)} ORDER BY company, day", params

