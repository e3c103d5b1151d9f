"""The roster as tables: events, spells as of a day, first lasting departures, headcount and life tables.

A thin layer over `attrition.core`: each derived table is computed once per dataset and as-of day
in the dataset's engine, and callers receive pandas slices of it (one company, one cohort), with
day numbers turned into Timestamps. Every table takes an `as_of` date that defaults to the
dataset's freeze date, so nothing depends on the day the code runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from attrition import cache, core
from attrition.dataset import Dataset, configured_engine, days_to_timestamps, store_in_cache
from attrition.engine import literal
from attrition.result import MetricError
from attrition.schema import COHORTS, FIRST_DAY, LAST_DAY, TABLES

EPOCH = pd.Timestamp("1970-01-01")
EVENT_KEY = ["person_id", "company", "spell", "event"]
SPELL_KEY = ["person_id", "company", "spell"]
DATE_COLUMNS = ("earliest", "latest", "start_lo", "start_hi", "end_lo", "end_hi", "resolved_earliest",
                "resolved_latest", "as_of", "seen_until", "company_end")


def day_number(value: date | str | pd.Timestamp) -> int:
    """Days since 1970-01-01, the engine's representation of a date."""
    return int((pd.Timestamp(value).normalize() - EPOCH).days)


def as_of_day(ds: Dataset, as_of: date | str | pd.Timestamp | None) -> int:
    """The as-of date as a day number: the freeze date unless the caller names another day on or before it."""
    try:
        day = pd.Timestamp(ds.freeze_date if as_of is None else as_of).normalize()
    except (ValueError, TypeError, OverflowError):
        raise MetricError(f"as-of date {as_of!r} is not a date (YYYY-MM-DD)") from None
    if not pd.Timestamp(FIRST_DAY) <= day <= pd.Timestamp(LAST_DAY):
        raise MetricError(f"as-of date {day.date()} is outside the supported range {FIRST_DAY} to {LAST_DAY}")
    if day.date() > ds.freeze_date:
        raise MetricError(f"as-of date {day.date()} is after the dataset's freeze date {ds.freeze_date}: "
                          "the data says nothing about later days")
    return day_number(day)


def as_of_timestamp(ds: Dataset, as_of: date | str | pd.Timestamp | None) -> pd.Timestamp:
    """The as-of date as a Timestamp: the freeze date unless the caller names another day."""
    return EPOCH + pd.Timedelta(days=as_of_day(ds, as_of))


def _timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    for column in DATE_COLUMNS:
        if column in frame:
            frame[column] = days_to_timestamps(frame[column])
    for column in ("conflict", "start_conflict", "end_conflict"):
        if column in frame:
            frame[column] = frame[column].astype(bool)
    return frame


def _derived(ds: Dataset, name: str, sql: str) -> str:
    """Compute a derived table in the dataset's engine once; later calls reuse it."""
    if name not in ds.derived:
        ds.engine.table(name, sql)
        ds.derived[name] = name
    return name


def events_table(ds: Dataset) -> str:
    return _derived(ds, "events", core.events(ds.engine.ordered_ids("source_id")))


def spells_table(ds: Dataset, cutoff: int, company: str | None = None) -> str:
    """Spells as of `cutoff`: the stored table at the freeze date, else the core query (for one company if given)."""
    events_table(ds)
    if cutoff == as_of_day(ds, None):
        return _derived(ds, f"spells_{cutoff + 100_000}", core.spells(cutoff))
    source = "events" if company is None else f"(SELECT * FROM events WHERE company = {literal(company)})"
    return f"({core.spells(cutoff, source)}) AS spells"


def lasting_table(ds: Dataset, cutoff: int, company: str | None = None) -> str:
    """First lasting departures as of `cutoff`, stored at the freeze date, else computed (for one company if given)."""
    if cutoff == as_of_day(ds, None):
        return _derived(ds, f"lasting_{cutoff + 100_000}", core.lasting(spells_table(ds, cutoff), cutoff))
    return f"({core.lasting(spells_table(ds, cutoff, company), cutoff)}) AS lasting"


def check_scope(ds: Dataset, company: str, cohort: str | None, exclude: Iterable[str] = (),
                group: str | None = None) -> list[str]:
    """Reject unknown companies, cohorts, groups and excluded people with a message that lists valid choices."""
    if company not in ds.companies:
        raise MetricError(f"unknown company {company!r}; the data has: {', '.join(ds.companies)}")
    if cohort is not None and cohort not in COHORTS:
        raise MetricError(f"unknown cohort {cohort!r}; choose one of: {', '.join(COHORTS)}")
    if group is not None:
        groups = [g for (g,) in ds.engine.rows(
            'SELECT DISTINCT "group" FROM people WHERE company = ? AND "group" <> \'\' ORDER BY 1', [company])]
        if group not in groups:
            raise MetricError(f"unknown group {group!r} at {company}; the data has: {', '.join(groups) or 'no groups'}")
    wanted = sorted(set(exclude))
    if not wanted:
        return wanted
    known = {p for (p,) in ds.engine.rows("SELECT person_id FROM people WHERE company = ? AND array_contains(?, person_id)",
                                          [company, wanted])}
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise MetricError(f"--exclude names no one at {company}: {', '.join(unknown)}")
    return wanted


def _where(company: str | None = None, cohort: str | None = None, exclude: Iterable[str] = (),
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


def events_sql(ds: Dataset) -> str:
    return f"SELECT * FROM {events_table(ds)} ORDER BY person_id, company, spell, earliest, event"


def conflicts_sql(ds: Dataset) -> str:
    return f"""
        SELECT v.person_id, v.company, v.spell, v.event, v.source_id, v.earliest, v.latest, v.paraphrase,
               e.earliest AS resolved_earliest, e.latest AS resolved_latest
        FROM evidence AS v JOIN {events_table(ds)} AS e ON e.person_id = v.person_id AND e.company = v.company
            AND e.spell = v.spell AND e.event = v.event
        WHERE e.conflict ORDER BY v.person_id, v.company, v.spell, v.event, v.earliest, v.source_id"""


def milestones_sql(ds: Dataset) -> str:
    table = _derived(ds, "milestones_resolved", core.milestones(ds.engine.ordered_ids("source_id")))
    return f"SELECT * FROM {table} ORDER BY company, earliest, milestone_id"


def spells_sql(ds: Dataset, cutoff: int, where: str = "", company: str | None = None) -> str:
    return (f"SELECT *, {cutoff} AS as_of FROM {spells_table(ds, cutoff, company)} {where} "
            "ORDER BY company, cohort, start_lo, person_id, spell")


def events(ds: Dataset) -> pd.DataFrame:
    """One row per person, company, spell and event type, with the resolved date interval."""
    return _timestamps(ds.engine.frame(events_sql(ds)))


def conflicts(ds: Dataset) -> pd.DataFrame:
    """Every source's interval for each event whose sources do not overlap, side by side."""
    return _timestamps(ds.engine.frame(conflicts_sql(ds)))


def milestones(ds: Dataset) -> pd.DataFrame:
    """Company milestones resolved like events: one row per milestone, conflicts flagged."""
    return _timestamps(ds.engine.frame(milestones_sql(ds)))


def spells(ds: Dataset, as_of: date | str | None = None, company: str | None = None, cohort: str | None = None,
           exclude: Iterable[str] = (), group: str | None = None) -> pd.DataFrame:
    """One row per person and company spell that had (possibly) started by `as_of`.

    status: `departed` when the end's latest date is on or before as_of, `active` when the end's
    earliest date is after it (or there is no end), `uncertain` otherwise. `joined` is `uncertain`
    when the start interval straddles as_of. A step_back counts as leaving; `end_event` says which.
    """
    cutoff = as_of_day(ds, as_of)
    key = ("spells", cutoff, company)
    if key not in ds.derived:
        where, params = _where(company)
        frame = _timestamps(ds.engine.frame(spells_sql(ds, cutoff, where, company), params))
        ds.derived[key] = frame
    frame = ds.derived[key]
    keep = np.ones(len(frame), dtype=bool)
    if cohort is not None:
        keep &= (frame["cohort"] == cohort).to_numpy()
    if group is not None:
        keep &= (frame["group"] == group).to_numpy()
    excluded = list(exclude)
    if excluded:
        keep &= ~frame["person_id"].isin(excluded).to_numpy()
    return frame[keep].reset_index(drop=True)


def hires(ds: Dataset, company: str, as_of: date | str | None = None) -> pd.DataFrame:
    """Everyone who joined `company` after its founding team: first spells of cohorts hire and executive."""
    table = spells(ds, as_of, company)
    return table[(table["cohort"] != "founder") & (table["spell"] == 1)].reset_index(drop=True)


def lasting(ds: Dataset, as_of: date | str | None = None, company: str | None = None, cohort: str | None = None,
            exclude: Iterable[str] = (), group: str | None = None) -> pd.DataFrame:
    """One row per person: joined by `as_of`, ended by their first lasting departure (see core.lasting)."""
    cutoff = as_of_day(ds, as_of)
    where, params = _where(company, cohort, exclude, group=group)
    frame = ds.engine.frame(f"SELECT * FROM {lasting_table(ds, cutoff, company)} {where} ORDER BY company, person_id",
                            params)
    return _timestamps(frame)


def moves_between(ds: Dataset, as_of: date | str | None = None) -> pd.DataFrame:
    """Moves from one company of the roster to another, as its spells show them (see core.moves_between)."""
    table = lasting_table(ds, as_of_day(ds, as_of))
    frame = ds.engine.frame(f"{core.moves_between(table)} ORDER BY company, to_company")
    return frame.astype({"people": "int64", "still_listed": "int64"})


def readings(ds: Dataset, as_of: date | str | None = None, company: str | None = None, cohort: str | None = None,
             exclude: Iterable[str] = (), origin: date | str | None = None, group: str | None = None,
             censoring: str = "observed") -> pd.DataFrame:
    """Per person and reading of the dates: `left`, the time to leaving or censoring in `days`, and the
    person's [lower, upper] bounds for the interval-censored fit."""
    cutoff = as_of_day(ds, as_of)
    where, params = _where(company, cohort, exclude, group=group)
    sql = core.readings(lasting_table(ds, cutoff, company), cutoff, "person_id, company", where,
                        None if origin is None else day_number(origin), censoring=censoring)
    bounds = core.interval_bounds(lasting_table(ds, cutoff, company), cutoff, "person_id, company", where, censoring)
    frame = ds.engine.frame(f"SELECT r.*, b.lower, b.upper FROM ({sql}) AS r JOIN ({bounds}) AS b "
                            "USING (person_id, company) ORDER BY company, person_id, reading", params * 4)
    frame["upper"] = frame["upper"].astype("float64").fillna(np.inf)
    frame["lower"] = frame["lower"].astype("float64")
    frame["left"] = frame.pop("left_flag").astype(bool)
    frame["days"] = frame.pop("days_2") / 2
    return frame


def life_table(ds: Dataset, as_of: date | str | None = None, by: tuple[str, ...] = ("company",),
               company: str | None = None, cohort: str | None = None, exclude: Iterable[str] = (),
               origin: date | str | None = None, group: str | None = None, censoring: str = "observed") -> pd.DataFrame:
    """Departures (`events`) and censorings per group, reading and duration in days: what a fit needs.

    `by` names the columns that make the groups (company, cohort, group); `group` selects one group.
    """
    cutoff = as_of_day(ds, as_of)
    where, params = _where(company, cohort, exclude, group=group)
    columns = ", ".join(f'"{c}"' for c in by)
    sql = core.life_table(core.readings(lasting_table(ds, cutoff, company), cutoff, columns, where,
                                        None if origin is None else day_number(origin), censoring=censoring), columns)
    labels = {column: _labels(ds, column) for column in (*by, "reading")}
    columns_out = ", ".join(ds.engine.label(column, values) if values else f'"{column}"' for column, values in labels.items())
    frame = ds.engine.frame(f"SELECT {columns_out}, days_2, CAST(events AS BIGINT) AS events, "
                            f"CAST(censored AS BIGINT) AS censored FROM ({sql}) AS life ORDER BY {columns}, reading, days_2",
                            params * 3)
    frame = frame.astype({column: pd.CategoricalDtype(values, ordered=True) for column, values in labels.items() if values})
    frame["days"] = frame.pop("days_2") / 2
    return frame


def _labels(ds: Dataset, column: str) -> list[str]:
    """The values of a label column (company, cohort, group, reading) in sort order, so that it reaches pandas
    as a Categorical: codes, not a million strings. Empty for any other column."""
    if column == "reading":
        return sorted(core.READINGS)
    if column not in ("company", "cohort", "group"):
        return []
    if ("labels", column) not in ds.derived:
        ds.derived[("labels", column)] = [v for (v,) in ds.engine.rows(f'SELECT DISTINCT "{column}" FROM people ORDER BY 1')]
    return ds.derived[("labels", column)]


def interval_bounds(ds: Dataset, as_of: date | str | None = None, by: tuple[str, ...] = ("company",),
                    company: str | None = None, cohort: str | None = None, exclude: Iterable[str] = (),
                    group: str | None = None, censoring: str = "observed") -> pd.DataFrame:
    """Unique [lower, upper] tenure bounds and their counts (upper = inf while someone may still be there)."""
    cutoff = as_of_day(ds, as_of)
    where, params = _where(company, cohort, exclude, group=group)
    columns = ", ".join(f'"{c}"' for c in by)
    bounds = core.interval_bounds(lasting_table(ds, cutoff, company), cutoff, columns, where, censoring)
    frame = ds.engine.frame(f"{core.interval_table(bounds, columns)} ORDER BY {columns}, lower, upper NULLS LAST",
                            params)
    frame["upper"] = frame["upper"].astype("float64").fillna(np.inf)
    return frame.astype({"lower": "float64", "n": "int64"})


def _calendar(first: int, last: int, freq: str, start: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each day in [first, last] mapped to the first grid day (month or year start) on or after it."""
    unit = {"MS": "M", "YS": "Y"}.get(freq)
    if unit is None:
        raise MetricError(f"unknown frequency {freq!r}; use MS (month starts) or YS (year starts)")
    days = np.arange(first, last + 1)
    as_dates = days.astype("datetime64[D]")
    period_start = as_dates.astype(f"datetime64[{unit}]").astype("datetime64[D]").astype(np.int64)
    following = (as_dates.astype(f"datetime64[{unit}]") + 1).astype("datetime64[D]").astype(np.int64)
    grid_day = np.where(days == period_start, days, following)
    if start is not None:
        grid_day = np.maximum(grid_day, grid_day[days >= start].min() if (days >= start).any() else start)
    calendar = pd.DataFrame({"day": days.astype(np.int32), "grid_day": grid_day.astype(np.int32)})
    grid = pd.DataFrame({"grid_day": np.unique(grid_day[grid_day <= last]).astype(np.int32)})
    return calendar, grid


def headcount_table(ds: Dataset, as_of: date | str | None = None, freq: str = "MS", start: date | str | None = None,
                    company: str | None = None, cohorts: Iterable[str] | None = None) -> pd.DataFrame:
    """Named people surely (`lo`) and possibly (`hi`) at each company on each grid day up to `as_of`.

    The grid is the first day of each month (MS) or year (YS), from each company's first join, or
    from `start` when given. This counts the named roster only, which for most companies is far
    from everyone.
    """
    cutoff = as_of_day(ds, as_of)
    table = spells_table(ds, cutoff, company)
    where, params = _where(company, cohorts=cohorts)
    first = ds.engine.rows(f"SELECT min(start_lo) FROM {table} {where}", params)[0][0]
    if first is None:
        return pd.DataFrame({"company": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]"),
                             "lo": pd.Series(dtype=int), "hi": pd.Series(dtype=int)})
    start_day = None if start is None else day_number(start)
    calendar, grid = _calendar(min(first, start_day if start_day is not None else first), cutoff, freq, start_day)
    ds.engine.load_frame("calendar", calendar)
    ds.engine.load_frame("grid", grid)
    first_grid = None if start_day is None else int(grid["grid_day"].min()) if len(grid) else start_day
    sql = core.headcount(table, "calendar", "grid", where, first_grid)
    frame = ds.engine.frame(f"{sql} ORDER BY company, day", params)
    frame["date"] = days_to_timestamps(frame.pop("day"))
    return frame.astype({"lo": "int64", "hi": "int64"})[["company", "date", "lo", "hi"]]


def headcount(ds: Dataset, company: str, freq: str = "MS", start: date | str | None = None,
              end: date | str | None = None, cohorts: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Named people at one company on each grid day (date, lo, hi); see headcount_table."""
    table = headcount_table(ds, end, freq, start, company, cohorts)
    if table.empty:
        raise MetricError(f"no one from company {company!r} in the roster")
    return table.drop(columns="company").reset_index(drop=True)


def cached_tables(ds: Dataset) -> list[str]:
    """The derived tables worth keeping in the cache: everything needed as of the freeze date."""
    cutoff = as_of_day(ds, None)
    milestones(ds)
    return [events_table(ds), spells_table(ds, cutoff), lasting_table(ds, cutoff), "milestones_resolved"]


def on_engine(ds: Dataset, name: str | None = None) -> Dataset:
    """The dataset with its relational core run by engine `name` (default: dataset.toml's [engine], else DuckDB).

    DuckDB has read and checked the files either way. For Spark, the checked tables are first kept in
    the cache as `attrition build` keeps them; Spark then reads the canonical tables from that Parquet
    and computes every derived table itself, so nothing DuckDB derived reaches its results.
    """
    name = name or configured_engine(ds.config)
    if name == ds.engine.dialect:
        return ds
    from attrition.spark_engine import SparkEngine

    engine = SparkEngine()
    store_in_cache(ds, cached_tables(ds))
    for table in TABLES:
        engine.load_parquet(table, cache.table_file(ds.fingerprint, table))
    return replace(ds, engine=engine, derived={})


def conflicted_events(ds: Dataset) -> int:
    """How many events have sources that disagree."""
    return int(ds.engine.rows(f"SELECT count(*) FROM {events_table(ds)} WHERE conflict")[0][0])


def person(ds: Dataset, company: str, person_id: str) -> dict[str, object]:
    """One person's people.csv row at a company, as a dict; MetricError when there is none."""
    frame = ds.engine.frame("SELECT * FROM people WHERE company = ? AND person_id = ?", [company, person_id])
    if frame.empty:
        raise MetricError(f"no person {person_id!r} at {company}")
    return frame.iloc[0].to_dict()

