"""The claims file read and checked, without computing anything: each claim's metric, parameters,
reported value and tolerance. pandas is not needed here, so `attrition validate` does not load it;
`attrition.claims.ledger` computes the verdicts.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from attrition.core import lookups
from attrition.io.dataset import Dataset
from attrition.measures.registry import UnknownMetric, check_params, metric
from attrition.result import MetricError
from attrition.schema import EPOCH, Problem

DATE_METRICS = ("event_date", "milestone_date", "last_seen")
LIST_PARAMS = ("exclude",)
WINDOW_PARAMS = ("start", "end", "baseline_start", "baseline_end")
"""Parameters that give a window's days, none of which may be later than the claim's own date."""


def parse_params(text: str) -> dict[str, object]:
    """`company=xai; cohort=founder; exclude=a|b` -> {"company": "xai", ..., "exclude": ["a", "b"]}."""
    params: dict[str, object] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(";"))):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValueError(f"{part!r} is not key=value")
        if key in params:
            raise ValueError(f"parameter {key!r} is given twice")
        params[key] = [v.strip() for v in value.split("|") if v.strip()] if key in LIST_PARAMS else value
    return params


class ReportedError(ValueError):
    """A reported value that cannot be read; its message says what the value must be."""


def parse_reported(value: str, metric_name: str, reading: str = "exact") -> float | date | tuple:
    """The reported value: an ISO date for date metrics, else a finite number; for a `between` reading, two
    of them written `low..high` (low no more than high), as a pair. ReportedError says what is wrong."""
    if reading == "between":
        low, sep, high = str(value).partition("..")
        if not sep:
            raise ReportedError("a 'between' reading needs two values written low..high")
        pair = parse_reported(low, metric_name), parse_reported(high, metric_name)
        if pair[1] < pair[0]:
            raise ReportedError("a 'between' reading needs low..high with low no more than high")
        return pair
    if metric_name in DATE_METRICS:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ReportedError("must be a real calendar date (YYYY-MM-DD) for a date metric") from None
    try:
        number = float(value)
    except ValueError:
        raise ReportedError("must be a number") from None
    if not math.isfinite(number):
        raise ReportedError("must be a finite number")
    return number


def _tolerance(text: str) -> float:
    number = float(text)
    if not math.isfinite(number) or number < 0:
        raise ValueError
    return number


def claim_problems(ds: Dataset) -> list[Problem]:
    """Every claim checked against the metric registry and the data, without computing anything.

    Metric names, parameters (unknown, missing, or naming nothing in the data), reported values
    and tolerances; `attrition validate`, `claims` and `report` run these, other commands do not.
    """
    found: list[tuple[int, str, str, str]] = []
    for row in lookups.claims_to_check(ds):

        def report(column: str, message: str) -> None:
            found.append((int(row["rec"]), column, row[column], message))

        if row["reading"] == "not_evaluated":
            if not row["note"]:
                report("note", "a not_evaluated claim needs a note saying why the data cannot speak to it")
            continue
        try:
            params = parse_params(row["params"])
            if "as_of" in params:
                raise ValueError("give the date in the as_of column, not as a parameter")
            claim_date = (EPOCH + timedelta(days=row["as_of"])).isoformat()
            if "as_of" in metric(row["metric"]).parameters:
                params["as_of"] = claim_date
            checked = check_params(ds, row["metric"], params, spelled=repr)
        except (ValueError, MetricError) as err:
            report("metric" if isinstance(err, UnknownMetric) else "params", str(err))
            continue
        late = [f"{key}={checked[key]}" for key in WINDOW_PARAMS if key in checked and str(checked[key]) > claim_date]
        if late:
            report("params", f"{', '.join(late)} is after the claim's own date {claim_date} (as_of): a claim can "
                             "only speak of what had happened by its date")
        try:
            parse_reported(row["reported"], row["metric"], row["reading"])
        except ReportedError as err:
            report("reported", str(err))
        if row["tolerance"]:
            try:
                _tolerance(row["tolerance"])
            except ValueError:
                report("tolerance", "must be a finite number of zero or more")
        elif row["reading"] == "about":
            report("tolerance", "an 'about' reading needs a tolerance")
    lines = ds.lines("claims", [rec for rec, *_ in found])
    return [Problem("claims.csv", line, column, value, message)
            for line, (_, column, value, message) in zip(lines, found)]
