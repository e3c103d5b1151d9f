"""Every metric with its declared parameters, and the one way to call it.

A metric's parameters are declared here, equal to its function's own keyword parameters (a test
holds them equal), so that they can be checked without importing the measures or pandas. Each
parameter name has one kind, checked against the dataset before the metric runs (a company that
exists, a person at it, an ISO date no later than the freeze date, a number that is finite...).
The command line, the notebooks and the claims file all go through `check_params` and `compute`,
so an unknown or inapplicable parameter is an error everywhere, with the same message.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from attrition.core import lookups
from attrition.core.scope import Scope, ScopeError, as_of_day, check_scope
from attrition.days import tenure_days
from attrition.io.dataset import Dataset
from attrition.result import MetricError, MetricResult
from attrition.schema import COHORTS, HIRING_BASES, MOVE_CATEGORIES
from attrition.text import did_you_mean


@dataclass(frozen=True)
class Parameter:
    """A metric parameter: its kind (checked against the dataset, see `check_params`) and, for the command line,
    what its help says and what its value is called."""

    kind: str | tuple[str, ...]
    help: str | None = None
    metavar: str | None = None


PARAMETERS: dict[str, Parameter] = {
    "company": Parameter("company"),
    "cohort": Parameter(COHORTS),
    "as_of": Parameter("date"),
    "start": Parameter("date"),
    "end": Parameter("date"),
    "exclude": Parameter("people", metavar="PERSON_ID"),
    "group": Parameter("group", "only people in this group (a department, office... from people.csv)"),
    "days": Parameter("days", "tenure in days (share_departed_by_tenure)"),
    "at_years": Parameter("years", "compare_labs: years since joining, comma-separated (default 1,2,3)"),
    "person": Parameter("person", "a person (departure_rank, event_date, ...)", "PERSON_ID"),
    "basis": Parameter(HIRING_BASES, "hiring metrics: roster (named people) or reported (a published count)"),
    "baseline_start": Parameter("date", "rate ratios: start of the window compared with"),
    "baseline_end": Parameter("date", "rate ratios: end of the window compared with"),
    "milestone_id": Parameter("milestone", "a milestone_id", "MILESTONE_ID"),
    "event": Parameter(("join", "leave", "step_back", "return"),
                       "event_date: join, leave or step_back; event_rate_ratio: leave or join"),
    "spell": Parameter("spell", "event_date: which spell (default 1)"),
    "count_id": Parameter("count_id", "count_ratio: a count_id from reported_counts.csv"),
    "hours": Parameter("hours", "weekly_hours_per_day: hours per week"),
    "affiliation": Parameter("text", "prior_affiliation: an employer or school"),
    "versus_company": Parameter("company", "hazard_ratio: the company whose cohort the group is compared with"),
    "table": Parameter(("people", "evidence", "sources", "conflicts"),
                       "record_count: people, evidence, sources or conflicts"),
    "censoring": Parameter(("observed", "freeze"), "how long people still there count: observed (to their last "
                                                   "sighting, the default) or freeze (to the as-of day)"),
    "category": Parameter(MOVE_CATEGORIES, "destination metrics: a moves.csv category (founded, ai_lab, ...)"),
    "to_company": Parameter("company", "destination_count: only those who went to this company of the data"),
    "variant": Parameter("text", "variant_share: a founding-team variant letter from companies.csv, or rule"),
    "reason": Parameter("text", "reason_share: a reason for leaving (retired, voluntary... as the data sorts them; "
                                "`attrition metric reasons` lists them)"),
    "versus_cohort": Parameter(COHORTS, "hazard_ratio: the cohort the group is compared with"),
    "rate_id": Parameter("rate_id", "base_rate, base_rate_tail: a rate_id from base_rates.csv"),
}
"""Every parameter any metric takes, by name: one name, one meaning. The command line's options are made from it."""
KINDS: dict[str, str | tuple[str, ...]] = {name: parameter.kind for name, parameter in PARAMETERS.items()}
"""The kind of every parameter, by name."""
FLAGS = {"milestone_id": "--milestone"}


def flag(name: str) -> str:
    """The command-line spelling of a parameter (`baseline_start` -> `--baseline-start`)."""
    return FLAGS.get(name, "--" + name.replace("_", "-"))


@dataclass(frozen=True)
class Metric:
    """A registered metric: its name, the module of the function that computes it, and its parameters.

    The function is imported when first called, so checking parameters (as `attrition validate` does
    for every claim) needs neither pandas nor the measures; a test holds each declaration equal to
    its function's signature.
    """

    name: str
    module: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    frames: bool = False
    """Whether it works on pandas frames (a table per person, a competing-risks fit, a rank or a model). No other
    metric loads pandas (a test holds them to that): the Kaplan-Meier and Turnbull fits read columns of numbers."""

    @property
    def function(self) -> Callable[..., MetricResult]:
        return getattr(importlib.import_module(f"attrition.{self.module}"), self.name)

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


SCOPE = ("cohort", "as_of", "exclude", "group")
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("departed_count", "measures.metrics", ("company",), SCOPE),
    Metric("departed_share", "measures.metrics", ("company",), SCOPE),
    Metric("remaining_count", "measures.metrics", ("company",), SCOPE),
    Metric("departures_between", "measures.metrics", ("company", "start", "end"), ("cohort", "exclude", "group")),
    Metric("headcount", "measures.metrics", ("company",), SCOPE),
    Metric("median_tenure", "measures.tenure", ("company",), SCOPE),
    Metric("interval_median", "measures.tenure", ("company",), SCOPE),
    Metric("interruptions", "measures.facts", ("company", "person")),
    Metric("share_departed_by_tenure", "measures.tenure", ("company", "days"), (*SCOPE, "censoring")),
    Metric("departure_rank", "measures.metrics", ("company", "person"), ("cohort", "as_of")),
    Metric("compare_labs", "measures.lab_shares", (), ("cohort", "at_years", "as_of")),
    Metric("hires_between", "measures.hiring", ("company", "start", "end"), ("basis", "count_id")),
    Metric("days_per_hire", "measures.hiring", ("company", "start", "end"), ("basis", "count_id")),
    Metric("hiring_rate_ratio", "measures.hiring", ("company", "start", "end", "baseline_start", "baseline_end"), ("basis",)),
    Metric("days_before_milestone", "measures.hiring", ("company", "person", "milestone_id")),
    Metric("event_date", "measures.facts", ("company", "person"), ("event", "spell")),
    Metric("milestone_date", "measures.facts", ("company", "milestone_id")),
    Metric("years_since_milestone", "measures.facts", ("company", "milestone_id"), ("as_of",)),
    Metric("count_ratio", "measures.facts", ("company", "count_id"), ("cohort", "as_of")),
    Metric("weekly_hours_per_day", "measures.facts", ("hours",), ("company",)),
    Metric("prior_affiliation", "measures.facts", ("company", "person", "affiliation")),
    Metric("destinations", "measures.flows", ("company",), ("cohort", "as_of", "at_years"), frames=True),
    Metric("flow_matrix", "measures.moves", (), ("cohort", "as_of")),
    Metric("hazard_ratio", "measures.compare", ("company",), ("cohort", "group", "versus_company", "versus_cohort", "as_of"),
           frames=True),
    Metric("event_rate_ratio", "measures.compare", ("company", "start", "end", "baseline_start", "baseline_end"),
           ("event", "cohort", "group")),
    Metric("record_count", "measures.facts", ("company", "table"), ("cohort",)),
    Metric("last_seen", "measures.facts", ("company", "person"), ("spell",)),
    Metric("reported_count", "measures.facts", ("count_id",)),
    Metric("share_gone_within", "measures.lab_shares", ("company",), ("at_years", "cohort", "censoring", "as_of")),
    Metric("lab_rank", "measures.peers", ("company",), ("at_years", "cohort", "censoring", "as_of"), frames=True),
    Metric("variant_share", "measures.variants", ("company", "variant"), ("as_of",)),
    Metric("retention_interval", "measures.lab_shares", ("company",), ("at_years", "cohort", "censoring", "as_of")),
    Metric("destination_count", "measures.moves", (), ("cohort", "company", "category", "to_company", "as_of")),
    Metric("destination_share", "measures.flows", ("category",), ("cohort", "company", "at_years", "as_of"), frames=True),
    Metric("alumni_founded", "measures.moves", ("company",)),
    Metric("base_rate", "measures.base_rates", ("rate_id",)),
    Metric("base_rate_tail", "measures.base_rates", ("company", "rate_id"), ("cohort", "as_of")),
    Metric("reasons", "measures.reasons", ("company",), ("cohort", "as_of", "at_years", "group"), frames=True),
    Metric("reason_share", "measures.reasons", ("company", "reason"), ("cohort", "at_years", "as_of"), frames=True),
    Metric("rehire_rate", "measures.returns", ("company",), ("cohort", "as_of", "group")),
    Metric("time_away", "measures.returns", ("company",), ("cohort", "as_of", "group")),
    Metric("cohort_retention", "measures.cohorts", ("company", "start", "end"), ("at_years", "cohort", "as_of"),
           frames=True),
)}


class UnknownMetric(MetricError):
    """A metric name the registry does not know (the claims file reports it against its metric column)."""


def metric(name: str) -> Metric:
    if name not in METRICS:
        raise UnknownMetric(f"unknown metric {name!r}{did_you_mean(name, list(METRICS))}; choose one of: "
                            f"{', '.join(sorted(METRICS))}")
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
    checked: dict[str, object] = {}
    for key, value in given.items():
        if key in SCOPED and not SCOPED.intersection(checked):  # all at once, where the first of them is given
            _scope(ds, given)
        checked[key] = _check(ds, key, value, given)
    for first, last in (("start", "end"), ("baseline_start", "baseline_end")):
        if first in checked and last in checked and str(checked[last]) < str(checked[first]):
            raise MetricError(f"{flag(last)} {checked[last]} is before {flag(first)} {checked[first]}")
    return checked


SCOPED = frozenset({"company", "as_of", "group", "exclude"})
"""The parameters `Scope.of` checks against the data, all at once, where the first of them is given."""


def _scope(ds: Dataset, given: dict[str, object]) -> Scope:
    """The metric's scope, checked once (`Scope.of`): the metric, asking for the same scope, gets this one back.
    A value the data does not know is reported against the option that gave it; a cohort or censoring that is
    not one of its choices is left to its own check, which names the choices."""
    cohort, censoring = given.get("cohort"), given.get("censoring", "observed")
    try:
        return Scope.of(ds, given.get("company"), cohort if cohort in COHORTS else None, given.get("as_of"),
                        given.get("exclude", ()), given.get("group"),
                        censoring if censoring in KINDS["censoring"] else "observed", option=flag("exclude"))
    except ScopeError as err:
        if err.parameter == "exclude":  # the message names the option already
            raise
        if err.parameter == "as_of":
            _check(ds, "as_of", given["as_of"], given)  # a value that is no date at all is said so, as for any date
        raise MetricError(f"{flag(err.parameter)}: {err}") from None


def _check(ds: Dataset, key: str, value: object, given: dict) -> object:
    kind = KINDS[key]
    company = given.get("company")
    if isinstance(kind, tuple):
        if value not in kind:
            raise MetricError(f"{flag(key)} must be one of {', '.join(kind)}, not {value!r}")
        return value
    if kind == "company" and key not in SCOPED:
        try:
            check_scope(ds, str(value), None)
        except MetricError as err:
            raise MetricError(f"{flag(key)}: {err}") from None
    elif kind == "date":
        text = value.strftime("%Y-%m-%d") if isinstance(value, date) else str(value)
        try:
            date.fromisoformat(text)
        except ValueError:
            raise MetricError(f"{flag(key)} {text!r} is not a date (YYYY-MM-DD)") from None
        if key not in SCOPED:
            try:
                as_of_day(ds, text)
            except MetricError as err:
                raise MetricError(f"{flag(key)}: {err}") from None
        return text
    elif kind in ("group", "people", "person"):
        if company is None:
            raise MetricError(f"{flag(key)} needs --company")
        if kind == "person":  # not the scope's: the metric asks about this one person
            check_scope(ds, str(company), None, [str(value)], option=flag(key))
    elif kind == "spell":
        number = int(value) if isinstance(value, (int, str)) and str(value).isascii() and str(value).isdigit() else None
        if number is None or number < 1:
            raise MetricError(f"{flag(key)} must be a whole number of at least 1, not {value!r}")
        return number
    elif kind == "days":
        number = tenure_days(value)
        if number is None:
            raise MetricError(f"{flag(key)} must be a number of days from 0 to 73,050 (200 years), not {value!r}")
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
        from attrition.measures.lab_shares import (
            parse_years,  # the one parser compare_labs uses itself
        )

        return parse_years(value if isinstance(value, (str, tuple)) else tuple(value))
    elif kind == "milestone":
        if company is None or not lookups.milestone_listed(ds, company, value):
            raise MetricError(f"no milestone {value!r} for {company} in milestones.csv")
    elif kind == "rate_id":
        if lookups.base_rate(ds, value) is None:
            raise MetricError(f"no base rate {value!r} in base_rates.csv")
    elif kind == "count_id":
        if lookups.reported_count(ds, value) is None:
            raise MetricError(f"no reported count {value!r} in reported_counts.csv")
    return value


def compute(name: str, ds: Dataset, **params) -> MetricResult:
    """Check the parameters against the metric's declaration and the data, then compute it."""
    return metric(name).function(ds, **check_params(ds, name, params))
