"""The roster as tables: events, spells as of a day, first lasting departures, headcount and life tables.

A thin layer over `attrition.core.tables`, which makes each derived table once per dataset and as-of
day in the dataset's engine: callers here receive pandas slices of them (one company, one cohort),
with day numbers turned into Timestamps. Every table takes a checked `Scope` (`Scope.of`: its day is the
dataset's freeze date unless the caller names another), so nothing depends on the day the code runs;
those a reader may call at a prompt hold everyone at the freeze date when given none.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from attrition.core import life, relations
from attrition.core.scope import Scope
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
from attrition.io.dataset import Dataset, days_to_timestamps
from attrition.result import MetricError


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


def _everyone(ds: Dataset, scope: Scope | None) -> Scope:
    """The scope asked for, or everyone at the freeze date (the tables' default, for a reader at a prompt)."""
    return Scope.at_freeze(ds) if scope is None else scope


def spells(ds: Dataset, scope: Scope | None = None) -> pd.DataFrame:
    """One row per person and company spell that had (possibly) started by the scope's day (default: every
    spell at the freeze date).

    status (`schema.STATUSES`): `departed` when the end's latest date is on or before as_of, `uncertain`
    when only its earliest is, `active` when a source shows the person there on or after as_of (a sighting
    or a later end), `unseen` when there is no end and the last sighting (`seen_until`) is earlier. `joined`
    is `uncertain` when the start interval straddles as_of. A step_back counts as leaving; `end_event` says which.
    """
    scope = _everyone(ds, scope)
    key = ("spells", scope.day, scope.company)
    if key not in ds.derived:
        ds.derived[key] = _timestamps(ds.engine.frame(spells_sql(ds, scope.company_wide)))
    return _select(ds.derived[key], scope)


def _select(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The rows of a kept slice (one company, one as-of day) the scope selects: its cohort(s) and group, minus the
    people it leaves out (`Scope.where` on a frame)."""
    keep = np.ones(len(frame), dtype=bool)
    if scope.cohort is not None:
        keep &= (frame["cohort"] == scope.cohort).to_numpy()
    if scope.cohorts is not None:
        keep &= frame["cohort"].isin(scope.cohorts).to_numpy()
    if scope.group is not None:
        keep &= (frame["group"] == scope.group).to_numpy()
    if scope.exclude:
        keep &= ~frame["person_id"].isin(scope.exclude).to_numpy()
    return frame[keep].reset_index(drop=True)


def latest_spells(ds: Dataset, scope: Scope) -> pd.DataFrame:
    """Each person's most recent spell at each company that had (possibly) started by the scope's day (see
    `spells`), ordered by company and person: chosen (`tables.day_spells`) and sorted by the engine, once per
    company and day."""
    key = ("latest", scope.day, scope.company)
    if key not in ds.derived:
        where, params = scope.company_wide.where()
        frame = ds.engine.frame(f"SELECT * FROM {day_spells(ds, scope)} {where or 'WHERE true'} AND latest "
                                "AND as_of = ? ORDER BY company, person_id", [*params, scope.day])
        del frame["latest"]
        ds.derived[key] = _timestamps(frame)
    return _select(ds.derived[key], scope)


def hires(ds: Dataset, company: str, as_of: date | str | None = None) -> pd.DataFrame:
    """Everyone who joined `company` after its founding team: first spells of cohorts hire and executive."""
    table = spells(ds, Scope.of(ds, company, as_of=as_of))
    return table[(table["cohort"] != "founder") & (table["spell"] == 1)].reset_index(drop=True)


def lasting(ds: Dataset, scope: Scope | None = None) -> pd.DataFrame:
    """One row per person: joined by the scope's day, ended by their first lasting departure (see relations.lasting);
    default: everyone at the freeze date."""
    scope = _everyone(ds, scope)
    where, params = scope.where()
    frame = ds.engine.frame(f"SELECT * FROM {lasting_table(ds, scope)} {where} ORDER BY company, person_id", params)
    return _timestamps(frame)


def moves_between(ds: Dataset, scope: Scope | None = None) -> pd.DataFrame:
    """Moves from one company of the roster to another, as its spells show them (see relations.moves_between), as
    of the scope's day (default: the freeze date)."""
    table = lasting_table(ds, _everyone(ds, scope))
    frame = ds.engine.frame(f"{relations.moves_between(table)} ORDER BY company, to_company")
    return frame.astype({"people": "int64", "still_listed": "int64"})


def readings(ds: Dataset, scope: Scope | None = None) -> pd.DataFrame:
    """Per person and reading of the dates (all three): `left`, the time to leaving or censoring in `days`, and the
    person's [lower, upper] bounds for the interval-censored fit."""
    scope = _everyone(ds, scope)
    cutoff = scope.day
    where, params = scope.where()
    sql = relations.readings(lasting_table(ds, scope), cutoff, "person_id, company", where, scope.origin,
                             censoring=scope.censoring)
    bounds = relations.interval_bounds(lasting_table(ds, scope), cutoff, "person_id, company", where, scope.censoring)
    frame = ds.engine.frame(f"SELECT r.*, b.lower, b.upper FROM ({sql}) AS r JOIN ({bounds}) AS b "
                            "USING (person_id, company) ORDER BY company, person_id, reading",
                            params * (len(relations.READINGS) + 1))
    frame["upper"] = frame["upper"].astype("float64").fillna(np.inf)
    frame["lower"] = frame["lower"].astype("float64")
    frame["left"] = frame.pop("left_flag").astype(bool)
    frame["days"] = frame.pop("days_2") / 2
    frame["entry"] = frame.pop("entry_2") / 2
    return frame


def life_table(ds: Dataset, scope: Scope | None = None, by: tuple[str, ...] = ("company",)) -> pd.DataFrame:
    """`life.life_table` as a frame, each label column a Categorical of its values (codes, not a million strings)."""
    table = life.life_table(ds, _everyone(ds, scope), by)
    columns = {column: pd.Categorical.from_codes(table[column], table.labels[column], ordered=True)
               for column in (*by, "reading")}
    return pd.DataFrame({**columns, **{column: table[column] for column in ("events", "censored", "entered", "days")}})


def headcount_table(ds: Dataset, scope: Scope | None = None, freq: str = "MS",
                    start: date | str | None = None) -> pd.DataFrame:
    """Named people surely (`lo`) and possibly (`hi`) at each company on each grid day (see tables.headcount_sql)."""
    query = headcount_sql(ds, _everyone(ds, scope), freq, start)
    if query is None:
        return pd.DataFrame({"company": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]"),
                             "lo": pd.Series(dtype=int), "hi": pd.Series(dtype=int)})
    frame = ds.engine.frame(*query)
    frame["date"] = days_to_timestamps(frame.pop("day"))
    return frame.astype({"lo": "int64", "hi": "int64"})[["company", "date", "lo", "hi"]]


def headcount(ds: Dataset, company: str, freq: str = "MS", start: date | str | None = None,
              end: date | str | None = None, cohorts: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Named people at one company on each grid day up to `end` (date, lo, hi); see headcount_table."""
    table = headcount_table(ds, Scope.of(ds, company, as_of=end, cohorts=cohorts), freq, start)
    if table.empty:
        raise MetricError(f"no one from company {company!r} in the roster")
    return table.drop(columns="company").reset_index(drop=True)


def joins_per_period(ds: Dataset, scope: Scope | None = None, unit: str = "month",
                     through_as_of: bool = True) -> pd.DataFrame:
    """First joins per period at each company (the scope's, or all), for those whose join is known to within one
    period; the one definition behind every "joins per month" the pages show, with the cohorts counted named by
    the scope's `cohorts` (`None`: everyone, founders included). Default: everyone at the freeze date.

    Periods run from each company's first placed join to the as-of period (or to its last placed join,
    `through_as_of=False`), empty periods included. A join known only to a wider range is counted in
    `unplaced`, so a chart can say how many it could not place. Columns: company, period, joins, unplaced.
    """
    scope = _everyone(ds, scope)
    table = spells(ds, scope)
    table = table[table["spell"] == 1]
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
        last[:] = _period_number(_period(pd.Series([scope.timestamp]), unit), unit).iloc[0]
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
    joins = joins_per_period(ds, Scope.of(ds, company, cohorts=("hire", "executive")), "month", through_as_of=False)
    return pd.DataFrame({"month": joins["period"].to_numpy(), "hires": joins["joins"].to_numpy(),
                         "unplaced": joins["unplaced"].to_numpy()})


def headcount_with_reports(ds: Dataset, company: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly named-roster headcount (lo, hi) and the staff counts sources reported, for one chart."""
    roster = headcount(ds, company)
    reported = ds.counts[(ds.counts["company"] == company) & ds.counts["measure"].isin(["technical_staff", "employees"])]
    return roster, reported.sort_values(["end", "count_id"]).reset_index(drop=True)
