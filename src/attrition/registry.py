"""Every metric as a function object with its declared parameters, and the one way to call it.

A metric's parameters are its function's own keyword parameters; each parameter name has one
kind, checked against the dataset before the metric runs (a company that exists, a person at it,
an ISO date no later than the freeze date, a number that is finite...). The command line, the
notebooks and the claims file all go through `check_params` and `compute`, so an unknown or
inapplicable parameter is an error everywhere, with the same message.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from attrition import facts, flows, hiring, metrics, peers, survival
from attrition.dataset import Dataset
from attrition.result import MetricError, MetricResult
from attrition.roster import as_of_day, check_scope
from attrition.schema import COHORTS

KINDS: dict[str, str | tuple[str, ...]] = {
    "company": "company", "cohort": COHORTS, "as_of": "date", "start": "date", "end": "date",
    "baseline_start": "date", "baseline_end": "date", "exclude": "people", "person": "person", "days": "count",
    "hours": "hours", "milestone_id": "milestone", "count_id": "count_id", "basis": hiring.BASES,
    "event": ("join", "leave", "step_back"), "at_years": "years", "affiliation": "text", "spell": "spell",
    "group": "group",
}
"""The kind of every parameter any metric takes, by name: one name, one meaning."""
FLAGS = {"milestone_id": "--milestone"}


def flag(name: str) -> str:
    """The command-line spelling of a parameter (`baseline_start` -> `--baseline-start`)."""
    return FLAGS.get(name, "--" + name.replace("_", "-"))


@dataclass(frozen=True)
class Metric:
    """A registered metric: its name, the function that computes it, and its parameters."""

    name: str
    function: Callable[..., MetricResult]
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def summary(self) -> str:
        return (self.function.__doc__ or "").strip().splitlines()[0]

    def usage(self) -> str:
        needs = " ".join(f"{flag(p)} ..." for p in self.required if p != "as_of")
        takes = ", ".join(flag(p) for p in self.optional)
        return f"{self.name} {needs}".strip() + (f" [optional: {takes}]" if takes else "")


def _metric(function: Callable[..., MetricResult]) -> Metric:
    params = [p for p in inspect.signature(function).parameters.values() if p.name != "ds"]
    unknown = [p.name for p in params if p.name not in KINDS]
    assert not unknown, f"{function.__name__}: parameters without a declared kind: {unknown}"
    required = tuple(p.name for p in params if p.default is inspect.Parameter.empty)
    optional = tuple(p.name for p in params if p.default is not inspect.Parameter.empty)
    return Metric(function.__name__, function, required, optional)


METRICS: dict[str, Metric] = {m.name: m for m in map(_metric, (
    metrics.departed_count, metrics.departed_share, metrics.remaining_count, metrics.departures_between,
    metrics.headcount, survival.median_tenure, survival.share_departed_by_tenure, survival.departure_rank,
    peers.compare_labs, hiring.hires_between, hiring.days_per_hire, hiring.hiring_rate_ratio,
    hiring.days_before_milestone, facts.event_date, facts.milestone_date, facts.years_since_milestone,
    facts.count_ratio, facts.weekly_hours_per_day, facts.prior_affiliation, flows.destinations, flows.flow_matrix,
))}


def metric(name: str) -> Metric:
    if name not in METRICS:
        raise MetricError(f"unknown metric {name!r}; choose one of: {', '.join(sorted(METRICS))}")
    return METRICS[name]


def check_params(ds: Dataset, name: str, params: dict[str, object], spelled=flag) -> dict[str, object]:
    """The parameters, checked against the metric's declaration and the dataset; raises MetricError.

    `spelled` writes a parameter's name in messages: as a command-line flag, or as the claims file's key.
    """
    m = metric(name)
    given = {k: v for k, v in params.items() if v is not None and v != []}
    extra = sorted(set(given) - set(m.parameters))
    if extra:
        takes = ", ".join(spelled(p) for p in m.parameters) or "no parameters"
        word = "" if spelled is flag else "parameter "
        raise MetricError(f"metric {name} takes no {word}{', '.join(spelled(p) for p in extra)}; it takes: {takes}")
    missing = [p for p in m.required if p not in given]
    if missing:
        word = "" if spelled is flag else "parameter "
        raise MetricError(f"metric {name} needs {word}" + " and ".join(spelled(p) for p in missing))
    checked = {key: _check(ds, key, value, given) for key, value in given.items()}
    for first, last in (("start", "end"), ("baseline_start", "baseline_end")):
        if first in checked and last in checked and str(checked[last]) < str(checked[first]):
            raise MetricError(f"{flag(last)} {checked[last]} is before {flag(first)} {checked[first]}")
    return checked


def _check(ds: Dataset, key: str, value: object, given: dict) -> object:
    kind = KINDS[key]
    company = given.get("company")
    if isinstance(kind, tuple):
        if value not in kind:
            raise MetricError(f"{flag(key)} must be one of {', '.join(kind)}, not {value!r}")
        return value
    if kind == "company":
        check_scope(ds, str(value), None)
    elif kind == "date":
        text = value.strftime("%Y-%m-%d") if isinstance(value, date) else str(value)
        try:
            date.fromisoformat(text)
        except ValueError:
            raise MetricError(f"{flag(key)} {text!r} is not a date (YYYY-MM-DD)") from None
        try:
            as_of_day(ds, text)
        except MetricError as err:
            raise MetricError(f"{flag(key)}: {err}") from None
        return text
    elif kind == "group":
        if company is None:
            raise MetricError(f"{flag(key)} needs --company")
        check_scope(ds, str(company), None, (), str(value))
    elif kind in ("people", "person"):
        people = value if kind == "people" else [value]
        if company is None:
            raise MetricError(f"{flag(key)} needs --company")
        check_scope(ds, str(company), None, [str(p) for p in people])
    elif kind in ("count", "spell"):
        number = int(value) if isinstance(value, (int, str)) and str(value).isascii() and str(value).isdigit() else None
        if number is None or (kind == "spell" and number < 1):
            raise MetricError(f"{flag(key)} must be a whole number{' of at least 1' if kind == 'spell' else ''}, "
                              f"not {value!r}")
        return number
    elif kind == "hours":
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or not 0 < number <= 168:
            raise MetricError(f"{flag(key)} must be a number of hours in a week (0 to 168), not {value!r}")
        return number
    elif kind == "years":
        return peers.parse_years(value if isinstance(value, (str, tuple)) else tuple(value))
    elif kind == "milestone":
        known = ds.milestones[ds.milestones["company"] == company]["milestone_id"]
        if company is None or value not in set(known):
            raise MetricError(f"no milestone {value!r} for {company} in milestones.csv")
    elif kind == "count_id":
        if value not in set(ds.counts["count_id"]):
            raise MetricError(f"no reported count {value!r} in reported_counts.csv")
    return value


def compute(name: str, ds: Dataset, **params) -> MetricResult:
    """Check the parameters against the metric's declaration and the data, then compute it."""
    return metric(name).function(ds, **check_params(ds, name, params))
