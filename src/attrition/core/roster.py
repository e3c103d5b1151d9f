"""The roster as tables: events, spells as of a day, first lasting departures, headcount and life tables.

A thin layer over `attrition.core.tables`, which makes each derived table once per dataset and as-of
day in the dataset's engine: callers here receive pandas slices of them (one company, one cohort),
with day numbers turned into Timestamps. Every table takes an `as_of` date that defaults to the
dataset's freeze date, so nothing depends on the day the code runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from attrition.core import relations
from attrition.core.scope import as_of_day, where_clause
from attrition.core.tables import (
    DATE_COLUMNS,
    conflicts_sql,
    day_spells,
    events_sql,
    headcount_sql,
    lasting_table,
    milestones_sql,
    spells_sql,
)
from attrition.days import day_number
from attrition.io.dataset import Dataset, days_to_timestamps
from attrition.result import MetricError

EPOCH = pd.Timestamp("1970-01-01")


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

    status (`schema.STATUSES`): `departed` when the end's latest date is on or before as_of, `uncertain`
    when only its earliest is, `active` when a source shows the person there on or after as_of (a sighting
    or a later end), `unseen` when there is no end and the last sighting (`seen_until`) is earlier. `joined`
    is `uncertain` when the start interval straddles as_of. A step_back counts as leaving; `end_event` says which.
    """
    cutoff = as_of_day(ds, as_of)
    key = ("spells", cutoff, company)
    if key not in ds.derived:
        where, params = where_clause(company)
        ds.derived[key] = _timestamps(ds.engine.frame(spells_sql(ds, cutoff, where, company), params))
    return _select(ds.derived[key], cohort, exclude, group)


def _select(frame: pd.DataFrame, cohort: str | None, exclude: Iterable[str], group: str | None) -> pd.DataFrame:
    """The rows of a kept slice (one company, one as-of day) for one cohort and group, minus excluded people."""
    keep = np.ones(len(frame), dtype=bool)
    if cohort is not None:
        keep &= (frame["cohort"] == cohort).to_numpy()
    if group is not None:
        keep &= (frame["group"] == group).to_numpy()
    excluded = list(exclude)
    if excluded:
        keep &= ~frame["person_id"].isin(excluded).to_numpy()
    return frame[keep].reset_index(drop=True)


def latest_spells(ds: Dataset, as_of: date | str | None = None, company: str | None = None, cohort: str | None = None,
                  exclude: Iterable[str] = (), group: str | None = None) -> pd.DataFrame:
    """Each person's most recent spell at each company that had (possibly) started by `as_of` (see `spells`),
    ordered by company and person: chosen (`tables.day_spells`) and sorted by the engine, once per company and day."""
    cutoff = as_of_day(ds, as_of)
    key = ("latest", cutoff, company)
    if key not in ds.derived:
        where, params = where_clause(company)
        frame = ds.engine.frame(f"SELECT * FROM {day_spells(ds, cutoff, company)} {where or 'WHERE true'} AND latest "
                                "AND as_of = ? ORDER BY company, person_id", [*params, cutoff])
        del frame["latest"]
        ds.derived[key] = _timestamps(frame)
    return _select(ds.derived[key], cohort, exclude, group)


def hires(ds: Dataset, company: str, as_of: date | str | None = None) -> pd.DataFrame:
    """Everyone who joined `company` after its founding team: first spells of cohorts hire and executive."""
    table = spells(ds, as_of, company)
    return table[(table["cohort"] != "founder") & (table["spell"] == 1)].reset_index(drop=True)


def lasting(ds: Dataset, as_of: date | str | None = None, company: str | None = None, cohort: str | None = None,
            exclude: Iterable[str] = (), group: str | None = None) -> pd.DataFrame:
    """One row per person: joined by `as_of`, ended by their first lasting departure (see relations.lasting)."""
    cutoff = as_of_day(ds, as_of)
    where, params = where_clause(company, cohort, exclude, group=group)
    frame = ds.engine.frame(f"SELECT * FROM {lasting_table(ds, cutoff, company)} {where} ORDER BY company, person_id",
                            params)
    return _timestamps(frame)


def moves_between(ds: Dataset, as_of: date | str | None = None) -> pd.DataFrame:
    """Moves from one company of the roster to another, as its spells show them (see relations.moves_between)."""
    table = lasting_table(ds, as_of_day(ds, as_of))
    frame = ds.engine.frame(f"{relations.moves_between(table)} ORDER BY company, to_company")
    return frame.astype({"people": "int64", "still_listed": "int64"})


def readings(ds: Dataset, as_of: date | str | None = None, company: str | None = None, cohort: str | None = None,
             exclude: Iterable[str] = (), origin: date | str | None = None, group: str | None = None,
             censoring: str = "observed", only: tuple[str, ...] = relations.READINGS) -> pd.DataFrame:
    """Per person and reading of the dates (all three, or `only` some): `left`, the time to leaving or
    censoring in `days`, and the person's [lower, upper] bounds for the interval-censored fit."""
    cutoff = as_of_day(ds, as_of)
    where, params = where_clause(company, cohort, exclude, group=group)
    sql = relations.readings(lasting_table(ds, cutoff, company), cutoff, "person_id, company", where,
                        None if origin is None else day_number(origin), only, censoring)
    bounds = relations.interval_bounds(lasting_table(ds, cutoff, company), cutoff, "person_id, company", where, censoring)
    frame = ds.engine.frame(f"SELECT r.*, b.lower, b.upper FROM ({sql}) AS r JOIN ({bounds}) AS b "
                            "USING (person_id, company) ORDER BY company, person_id, reading", params * (len(only) + 1))
    frame["upper"] = frame["upper"].astype("float64").fillna(np.inf)
    frame["lower"] = frame["lower"].astype("float64")
    frame["left"] = frame.pop("left_flag").astype(bool)
    frame["days"] = frame.pop("days_2") / 2
    frame["entry"] = frame.pop("entry_2") / 2
    return frame


def life_table(ds: Dataset, as_of: date | str | None = None, by: tuple[str, ...] = ("company",),
               company: str | None = None, cohort: str | None = None, exclude: Iterable[str] = (),
               origin: date | str | None = None, group: str | None = None, censoring: str = "observed") -> pd.DataFrame:
    """Departures (`events`), censorings and entries into the risk set (`entered`) per group, reading and
    duration in days: what a fit needs.

    `by` names the columns that make the groups (company, cohort, group); `group` selects one group.
    """
    cutoff = as_of_day(ds, as_of)
    where, params = where_clause(company, cohort, exclude, group=group)
    columns = ", ".join(f'"{c}"' for c in by)
    sql = relations.life_table(relations.readings(lasting_table(ds, cutoff, company), cutoff, columns, where,
                                        None if origin is None else day_number(origin), censoring=censoring), columns)
    labels = {column: _labels(ds, column) for column in (*by, "reading")}
    columns_out = ", ".join(ds.engine.label(column, values) if values else f'"{column}"' for column, values in labels.items())
    frame = ds.engine.frame(f"SELECT {columns_out}, days_2, CAST(events AS BIGINT) AS events, "
                            f"CAST(censored AS BIGINT) AS censored, CAST(entered AS BIGINT) AS entered "
                            f"FROM ({sql}) AS life ORDER BY {columns}, reading, days_2", params * 3)
    frame = frame.astype({column: pd.CategoricalDtype(values, ordered=True) for column, values in labels.items() if values})
    frame["days"] = frame.pop("days_2") / 2
    return frame


def _labels(ds: Dataset, column: str) -> list[str]:
    """The values of a label column (company, cohort, group, reading) in sort order, so that it reaches pandas
    as a Categorical: codes, not a million strings. Empty for any other column."""
    if column == "reading":
        return sorted(relations.READINGS)
    if column not in ("company", "cohort", "group"):
        return []
    if ("labels", column) not in ds.derived:
        spells = ' UNION SELECT DISTINCT "group" FROM evidence' if column == "group" else ""  # groups belong to spells
        ds.derived[("labels", column)] = [v for (v,) in ds.engine.rows(
            f'SELECT * FROM (SELECT DISTINCT "{column}" FROM people{spells}) AS labels ORDER BY 1')]
    return ds.derived[("labels", column)]


def interval_bounds(ds: Dataset, as_of: date | str | None = None, by: tuple[str, ...] = ("company",),
                    company: str | None = None, cohort: str | None = None, exclude: Iterable[str] = (),
                    group: str | None = None, censoring: str = "observed") -> pd.DataFrame:
    """Unique [lower, upper] tenure bounds and their counts (upper = inf while someone may still be there)."""
    cutoff = as_of_day(ds, as_of)
    where, params = where_clause(company, cohort, exclude, group=group)
    columns = ", ".join(f'"{c}"' for c in by)
    bounds = relations.interval_bounds(lasting_table(ds, cutoff, company), cutoff, columns, where, censoring)
    frame = ds.engine.frame(f"{relations.interval_table(bounds, columns)} ORDER BY {columns}, lower, upper NULLS LAST",
                            params)
    frame["upper"] = frame["upper"].astype("float64").fillna(np.inf)
    return frame.astype({"lower": "float64", "n": "int64"})


def headcount_table(ds: Dataset, as_of: date | str | None = None, freq: str = "MS", start: date | str | None = None,
                    company: str | None = None, cohorts: Iterable[str] | None = None) -> pd.DataFrame:
    """Named people surely (`lo`) and possibly (`hi`) at each company on each grid day (see tables.headcount_sql)."""
    query = headcount_sql(ds, as_of, freq, start, company, cohorts)
    if query is None:
        return pd.DataFrame({"company": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]"),
                             "lo": pd.Series(dtype=int), "hi": pd.Series(dtype=int)})
    frame = ds.engine.frame(*query)
    frame["date"] = days_to_timestamps(frame.pop("day"))
    return frame.astype({"lo": "int64", "hi": "int64"})[["company", "date", "lo", "hi"]]


def headcount(ds: Dataset, company: str, freq: str = "MS", start: date | str | None = None,
              end: date | str | None = None, cohorts: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Named people at one company on each grid day (date, lo, hi); see headcount_table."""
    table = headcount_table(ds, end, freq, start, company, cohorts)
    if table.empty:
        raise MetricError(f"no one from company {company!r} in the roster")
    return table.drop(columns="company").reset_index(drop=True)


def joins_per_period(ds: Dataset, company: str | None = None, cohorts: tuple[str, ...] | None = None,
                     unit: str = "month", as_of: date | str | None = None, through_as_of: bool = True) -> pd.DataFrame:
    """First joins per period at each company (one company, or all), for those whose join is known to within one
    period; the one definition behind every "joins per month" the pages show, with the cohorts counted named by
    the caller (`None`: everyone, founders included).

    Periods run from each company's first placed join to the as-of period (or to its last placed join,
    `through_as_of=False`), empty periods included. A join known only to a wider range is counted in
    `unplaced`, so a chart can say how many it could not place. Columns: company, period, joins, unplaced.
    """
    table = spells(ds, as_of, company)
    table = table[(table["spell"] == 1) & (table["cohort"].isin(cohorts) if cohorts is not None else True)]
    start = _period(table["start_lo"], unit)
    placed = start == _period(table["start_hi"], unit)
    counts = table[placed].assign(period=start[placed]).groupby(["company", "period"]).size().rename("joins")
    columns = {"company": pd.Series(dtype=object), "period": pd.Series(dtype="datetime64[ns]"),
               "joins": pd.Series(dtype="int64"), "unplaced": pd.Series(dtype="int64")}
    if counts.empty:
        return pd.DataFrame(columns)
    counts = counts.reset_index()
    number = _period_number(counts["period"], unit)
    first, last = number.groupby(counts["company"]).min(), number.groupby(counts["company"]).max()
    if through_as_of:
        last[:] = _period_number(_period(pd.Series([as_of_timestamp(ds, as_of)]), unit), unit).iloc[0]
    sizes = (last - first + 1).to_numpy()  # every period from each company's first to its last, in one pass
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    grid = pd.DataFrame({"company": np.repeat(first.index.to_numpy(), sizes),
                         "period": _period_start(np.repeat(first.to_numpy(), sizes) + offsets, unit)})
    out = grid.merge(counts, on=["company", "period"], how="left").fillna({"joins": 0})
    out["joins"] = out["joins"].astype("int64")
    out["unplaced"] = out["company"].map((~placed).groupby(table["company"]).sum()).fillna(0).astype("int64")
    return out


def _period(days: pd.Series, unit: str) -> pd.Series:
    """Each day's period start: its month, year or decade."""
    if unit == "month":
        return days.dt.to_period("M").dt.to_timestamp()
    years = days.dt.year if unit == "year" else days.dt.year // 10 * 10
    return pd.to_datetime(years.astype(str) + "-01-01")


def _period_number(starts: pd.Series, unit: str) -> pd.Series:
    """Period starts as consecutive whole numbers (months since year 0, years, or decades)."""
    return starts.dt.year * 12 + starts.dt.month - 1 if unit == "month" else \
        starts.dt.year if unit == "year" else starts.dt.year // 10


def _period_start(numbers: np.ndarray, unit: str) -> pd.DatetimeIndex:
    """The period starts `_period_number` numbered."""
    years, months = (numbers // 12, numbers % 12 + 1) if unit == "month" else \
        (numbers if unit == "year" else numbers * 10, np.ones_like(numbers))
    return pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1}))


def hires_per_month(ds: Dataset, company: str) -> pd.DataFrame:
    """Named hires (founders left out) per calendar month, from the first month with one to the last (see
    `joins_per_period`)."""
    joins = joins_per_period(ds, company, ("hire", "executive"), "month", through_as_of=False)
    return pd.DataFrame({"month": joins["period"].to_numpy(), "hires": joins["joins"].to_numpy(),
                         "unplaced": joins["unplaced"].to_numpy()})


def headcount_with_reports(ds: Dataset, company: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly named-roster headcount (lo, hi) and the staff counts sources reported, for one chart."""
    roster = headcount(ds, company)
    reported = ds.counts[(ds.counts["company"] == company) & ds.counts["measure"].isin(["technical_staff", "employees"])]
    return roster, reported.sort_values(["end", "count_id"]).reset_index(drop=True)
