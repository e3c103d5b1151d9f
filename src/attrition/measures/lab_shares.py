"""The share of each lab's (or group's) people gone N years after joining, side by side, without pandas.

Every lab's people go through the same life table (and so the same leaving rule, `survival.LEAVING_RULE`),
fitted for all labs at once (`estimators.fit`). Shares at N years are reported only where the lab's data
follows its people that long; small teams get wide intervals, and the caveats say so next to the numbers.
`peers.survival_table` is the same table as a frame, for the notebooks and the site.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from attrition.core import life
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures import estimators
from attrition.precision import snap
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL, days_and_years

SMALL_TEAM = 10


def table_columns(ds: Dataset, scope: Scope, by: str = "company", at_years: tuple[float, ...] = (1, 2, 3),
                  alpha: float = 0.05) -> dict[str, list | np.ndarray]:
    """One row per value of `by` (company, or group) among the people a checked scope selects, as columns: size,
    departures, median tenure and share gone by each year, with intervals at level 1 - `alpha`.

    A share at N years is left empty (NaN) when no one in the row had been followed N years by the scope's day,
    because Kaplan-Meier would otherwise repeat its last value; `gone_Ny_at_least` then holds the share gone by
    the end of follow-up, which the N-year share can only exceed; once everyone in the row has left, every later
    share is known (all of them). `caveat` says why a row needs care. The scope's `censoring` is
    relations.CENSORING: each person followed to their last observation, or everyone still there to the as-of day.
    """
    table = life.life_table(ds, scope, (by,))
    curves = estimators.fit(table.group((by, "reading")), table["days"], table["events"], table["censored"],
                            table["entered"], alpha)
    mid = table["reading"] == life.CODE["midpoint"]
    key, days = table[by][mid], table["days"][mid]
    removed, events = (table["events"] + table["censored"])[mid], table["events"][mid]
    starts = estimators.run_starts(key)
    ends, present = np.append(starts[1:], len(key)) if len(key) else starts, key[starts]
    total = lambda values: np.add.reduceat(values, starts) if len(starts) else np.zeros(0, dtype=values.dtype)
    n, left = total(removed), total(events)
    followed = days[ends - 1]  # rows run in time order within each group
    row_group = np.repeat(np.arange(len(starts)), ends - starts)
    shortest = np.full(len(starts), np.nan)  # the first departure or censoring
    first = np.flatnonzero(removed > 0)
    first = first[estimators.run_starts(row_group[first])]
    shortest[row_group[first]] = days[first]
    readings = len(life.READINGS)
    codes = len(table.labels[by]) * readings  # every group a reading may lack (late entry): NaN, not out of range
    at = lambda values, reading: values[present * readings + life.CODE[reading]]
    median = {reading: at(estimators.first_below(curves, codes=codes), reading) for reading in life.CODE}
    out: dict[str, list | np.ndarray] = {
        by: [table.labels[by][code] for code in present], "n": n, "left": left, "followed_years": followed / 365.25,
        "median_days": median["midpoint"], "median_days_lo": median["shortest"], "median_days_hi": median["longest"],
        "median_ci_lower": at(estimators.first_below(curves, column="lower", codes=codes), "midpoint"),
        "median_ci_upper": at(estimators.first_below(curves, column="upper", codes=codes), "midpoint")}
    at_end = 1 - at(estimators.value_on(curves, np.inf, codes=codes), "midpoint")
    everyone_left = left == n
    for years in at_years:
        span, name = years * 365.25, f"gone_{years:g}y"
        observed = (followed >= span) | everyone_left
        gone = lambda reading, column="survival": np.where(
            observed, 1 - at(estimators.value_on(curves, span, column, codes), reading), np.nan)
        out[f"{name}_at_least"] = np.where(observed, np.nan, at_end)
        out[name], out[f"{name}_lo"], out[f"{name}_hi"] = gone("midpoint"), gone("longest"), gone("shortest")
        lower, upper = gone("midpoint", "upper"), gone("midpoint", "lower")
        # No one left by then: KM's own band has zero width, so the exact (Clopper-Pearson) interval for none gone
        # of those still followed that long applies (all n when everyone was; fewer, so wider, when some were
        # followed less). Everyone left by then: KM is the plain proportion n/n, exact interval likewise.
        at_risk = np.where(shortest < span, total(np.where(days >= span, removed, 0)), n)
        exact, whole = observed & (out[name] == 0), observed & everyone_left & (out[name] == 1)
        with np.errstate(divide="ignore"):
            lower[exact], upper[exact] = 0.0, 1 - estimators.all_alike_bound(at_risk[exact], alpha)
            lower[whole], upper[whole] = estimators.all_alike_bound(n[whole], alpha), 1.0
        out[f"{name}_ci_lower"], out[f"{name}_ci_upper"] = lower, upper
    out["caveat"] = [_caveat(int(k), int(gone_), float(f), at_years, PLURAL[scope.cohort])
                     for k, gone_, f in zip(n, left, followed)]
    return {column: snap(values) if isinstance(values, np.ndarray) else values for column, values in out.items()}


def records(columns: dict[str, list | np.ndarray]) -> list[dict]:
    """A table's columns as rows of plain values (ints, floats, text), None where a value is missing (NaN)."""
    lists = [values.tolist() if isinstance(values, np.ndarray) else list(values) for values in columns.values()]
    return [{name: None if isinstance(value, float) and math.isnan(value) else value
             for name, value in zip(columns, row)} for row in zip(*lists)]


def lab_rows(ds: Dataset, cohort: str | None = "founder", at_years: tuple[float, ...] = (1, 2, 3),
             as_of: date | str | None = None, censoring: str = "observed") -> list[dict]:
    """One row per lab (`table_columns` by company) as plain values, labs in name order."""
    return records(table_columns(ds, Scope.of(ds, None, cohort, as_of, censoring=censoring), "company", at_years))


def _caveat(n: int, left: int, followed_days: float, at_years: tuple[float, ...], people: str) -> str:
    caveats = []
    if n < SMALL_TEAM:
        caveats.append(f"only {n} {people}: each departure moves the share by {1 / n:.0%}")
    short = [f"{y:g}" for y in at_years if followed_days < y * 365.25 and left < n]  # all gone: every share known
    if short:
        caveats.append(f"followed {time_followed(followed_days)}, so no full share at {', '.join(short)} years")
    if left == 0:
        caveats.append("no departures yet")
    return "; ".join(caveats)


def years_down(days: float) -> str:
    """Days as years to one decimal, rounded down, so 2.96 years never reads as a full 3.0."""
    return f"{math.floor(days * 40 / 1461) / 10:.1f}"  # tenths of a year of 1461/4 days, one division


def time_followed(days: float) -> str:
    """How long a team was followed, in words: years to one decimal rounded down ('1.4 years'), or days where
    that would read as no time at all ('29 days', not '0.0 years')."""
    if days < 36.525:
        whole = math.floor(days)
        return f"{whole:,} day{'' if whole == 1 else 's'}"
    return f"{years_down(days)} years"


def parse_years(at_years: str | tuple[float, ...]) -> tuple[float, ...]:
    """'1,2,3' -> (1.0, 2.0, 3.0): positive, finite numbers of years."""
    if isinstance(at_years, str):
        try:
            at_years = tuple(float(y) for y in at_years.split(",") if y.strip())
        except ValueError:
            raise MetricError(f"--at-years must be numbers separated by commas, not {at_years!r}") from None
    if not at_years:
        raise MetricError("--at-years needs at least one number of years")
    if not all(math.isfinite(y) and 0 < y <= 200 for y in at_years):
        raise MetricError("--at-years must be positive numbers of years (at most 200)")
    return tuple(at_years)


def _pct(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.0%}"


def compare_labs(ds: Dataset, cohort: str = "founder", at_years: str | tuple[float, ...] = (1, 2, 3),
                 as_of: date | str | None = None) -> MetricResult:
    """The cross-lab table as a metric result: text is a readable table, details hold the rows.

    Each person is followed to their last observation; where counting everyone still there up to the
    as-of day (the freeze-date reading) gives different shares, a second line states them.
    """
    at_years = parse_years(at_years)
    rows = lab_rows(ds, cohort, at_years, as_of)
    if not rows:
        raise MetricError(f"no company has anyone in the cohort {cohort!r} to compare")
    freeze_rows = lab_rows(ds, cohort, at_years, as_of, censoring="freeze")
    freeze = {row["company"]: row for row in freeze_rows}
    cutoff = Scope.of(ds, cohort=cohort, as_of=as_of).date
    names = ds.company_names
    width = max(len(names[row["company"]]) for row in rows)
    lines = [f"{PLURAL[cohort].capitalize()} who had left, by years since joining (Kaplan-Meier, date midpoints; "
             f"95% CI in brackets; each person followed to their last observation), as of {cutoff}:"]
    for r in rows:
        shares, median = _shares(r, at_years), days_and_years(r["median_days"])
        lines.append(f"  {names[r['company']]:<{width}}  {r['left']:>2,} of {r['n']:<2,} left; "
                     f"median {median}; {shares}"
                     + (f"  ({r['caveat']})" if r["caveat"] else ""))
        alternative = freeze[r["company"]]
        alt_median = days_and_years(alternative["median_days"])
        if (_shares(alternative, at_years), alt_median) != (shares, median):
            lines.append(f"  {'':<{width}}  counting everyone still there up to {cutoff}: median {alt_median}; "
                         f"{_shares(alternative, at_years)}")
    return MetricResult(metric="compare_labs", company="all", cohort=cohort, as_of=cutoff.isoformat(),
                        lo=len(rows), hi=len(rows), unit="labs", text="\n".join(lines),
                        details={"at_years": list(at_years), "labs": rows, "labs_followed_to_as_of": freeze_rows})


def _shares(row: dict, at_years: tuple[float, ...]) -> str:
    return "; ".join(
        (f"{y:g}y at least {_pct(row[f'gone_{y:g}y_at_least'])}" if (row[f"gone_{y:g}y_at_least"] or 0) > 0 else
         f"{y:g}y {_pct(row[f'gone_{y:g}y'])}")
        + ("" if row[f"gone_{y:g}y"] is None else
           f" [{_pct(row[f'gone_{y:g}y_ci_lower'])}-{_pct(row[f'gone_{y:g}y_ci_upper'])}]")
        for y in at_years)


def _row(ds: Dataset, scope: Scope, years: float) -> dict:
    """One lab's row of the table (the 05 table's row) for `years` since joining."""
    rows = records(table_columns(ds, scope, "company", (years,)))
    if not rows:
        raise MetricError(scope.nobody())
    return rows[0]


def share_gone_within(ds: Dataset, company: str, at_years: str | tuple[float, ...] = (3,), cohort: str | None = None,
                      censoring: str = "observed", as_of: date | str | None = None) -> MetricResult:
    """The share of a lab's cohort gone within N years of joining, as the peer table gives it (Kaplan-Meier,
    date midpoints), with the 95% interval and the range over the readings of dates in details. While no
    one was followed that long, it is the share gone by the end of follow-up, which the N-year share can
    only exceed (`followed` is then false)."""
    (years,) = parse_years(at_years)[:1]
    scope = Scope.of(ds, company, cohort, as_of, censoring=censoring)
    row = _row(ds, scope, years)
    key = f"gone_{years:g}y"
    day = scope.date
    who = f"{ds.company_names[company]}'s {PLURAL[cohort]}"
    followed = row[key] is not None
    if not followed:
        lo = hi = float(row[f"{key}_at_least"])
        text = f"{who} were not followed {years:g} years by {day}; at least {_pct(lo)} had left by then"
    else:
        lo = hi = float(row[key])
        text = (f"{_pct(row[key])} of {who} left within {years:g} years of joining (95% interval "
                f"{_pct(row[f'{key}_ci_lower'])} to {_pct(row[f'{key}_ci_upper'])}; {censoring} reading), as of {day}")
    return MetricResult(metric="share_gone_within", company=company, cohort=cohort, as_of=day.isoformat(), lo=lo, hi=hi,
                        unit="share", text=text, numerator={"lo": int(row["left"]), "hi": int(row["left"])},
                        denominator={"lo": int(row["n"]), "hi": int(row["n"])},
                        details={"years": years, "censoring": censoring, "followed": followed,
                                 "readings": [row[f"{key}_lo"], row[f"{key}_hi"]],
                                 "ci_lower": row[f"{key}_ci_lower"], "ci_upper": row[f"{key}_ci_upper"],
                                 "followed_years": float(row["followed_years"])})


def retention_interval(ds: Dataset, company: str, at_years: str | tuple[float, ...] = (2,), cohort: str | None = None,
                       censoring: str = "observed", as_of: date | str | None = None) -> MetricResult:
    """The 95% interval of the share of a company's people still there N years after joining (Kaplan-Meier,
    date midpoints) as the range, the estimate in details: what a published retention figure is set beside."""
    (years,) = parse_years(at_years)[:1]
    scope = Scope.of(ds, company, cohort, as_of, censoring=censoring)
    row = _row(ds, scope, years)
    key = f"gone_{years:g}y"
    day = scope.date
    if row[key] is None:
        lo = hi = estimate = None
        text = f"{ds.company_names[company]}: no one followed {years:g} years by {day}"
    else:
        lo, hi, estimate = 1 - float(row[f"{key}_ci_upper"]), 1 - float(row[f"{key}_ci_lower"]), 1 - float(row[key])
        text = (f"{_pct(estimate)} of {ds.company_names[company]}'s {PLURAL[cohort]} still there {years:g} years after "
                f"joining (95% interval {_pct(lo)} to {_pct(hi)}; {censoring} reading), as of {day}")
    return MetricResult(metric="retention_interval", company=company, cohort=cohort, as_of=day.isoformat(), lo=lo,
                        hi=hi, unit="share", text=text, denominator={"lo": int(row["n"]), "hi": int(row["n"])},
                        details={"years": years, "censoring": censoring, "estimate": estimate})
