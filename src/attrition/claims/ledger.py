"""The claims ledger: every published claim, checked against the data as of its own date.

A claim names a metric with its parameters, the value the source reported and how to read it.
The metric gives a range [lo, hi] (dates and rosters are uncertain); the claim allows a set of
values (its reading). The verdict compares the two:

- supported: every value in the measured range is allowed by the reading;
- contradicted: no value in the range is allowed;
- uncertain: some are, some are not (the data cannot settle it);
- not_evaluated: the data cannot speak to the claim (the note says why).
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from attrition.claims.file import parse_params, parse_reported
from attrition.core import lookups
from attrition.core.scope import as_of_day
from attrition.core.tables import prepare_days
from attrition.days import calendar_date, day_date
from attrition.io import cache
from attrition.io.dataset import Dataset
from attrition.measures.registry import compute, metric
from attrition.result import MetricError, MetricResult
from attrition.schema import DataError, Problem

if TYPE_CHECKING:  # the ledger is checked without pandas; only `evaluate` hands it to pandas
    import pandas as pd

EPSILON = 1e-9
VERDICTS = ("supported", "contradicted", "uncertain", "not_evaluated")


def _as_number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return float(date.fromisoformat(value).toordinal())
    if isinstance(value, date):
        return float(value.toordinal())
    return float(value)


def allowed_interval(reported: float | tuple[float, float], reading: str,
                     tolerance: float = 0.0) -> tuple[float, float, bool, bool]:
    """The values a claim allows: (low, high, low is open, high is open)."""
    if reading == "between":
        return reported[0] - tolerance, reported[1] + tolerance, False, False
    if reading in ("exact", "about"):
        return reported - tolerance, reported + tolerance, False, False
    if reading == "at_least":
        return reported, math.inf, False, False
    if reading == "more_than":
        return reported, math.inf, True, False
    if reading == "less_than":
        return -math.inf, reported, False, True
    raise ValueError(f"unknown reading {reading!r}")


def verdict(lo: object, hi: object, reported: object, reading: str, tolerance: float | None = None) -> str:
    """supported / contradicted / uncertain for a measured range against a claim's reading.

    `lo` or `hi` of None means unbounded on that side (e.g. "median not reached"); ISO dates are
    compared as days. Two readings are about the range itself, not a value in it: `includes` (the
    range contains the reported value: "no clear difference" when it is a ratio's 95% interval and the
    value 1) and `excludes` (it does not); either is supported or contradicted, never uncertain.
    """
    if reading == "not_evaluated":
        return "not_evaluated"
    m_lo, m_hi = _as_number(lo), _as_number(hi)
    m_lo = -math.inf if m_lo is None else m_lo
    m_hi = math.inf if m_hi is None else m_hi
    if reading in ("includes", "excludes"):
        inside = m_lo - EPSILON <= _as_number(reported) <= m_hi + EPSILON
        return "supported" if inside == (reading == "includes") else "contradicted"
    value = tuple(_as_number(v) for v in reported) if reading == "between" else _as_number(reported)
    a_lo, a_hi, open_lo, open_hi = allowed_interval(value, reading, float(tolerance or 0))
    above_floor = (lambda v: v > a_lo + EPSILON) if open_lo else (lambda v: v >= a_lo - EPSILON)
    below_ceiling = (lambda v: v < a_hi - EPSILON) if open_hi else (lambda v: v <= a_hi + EPSILON)
    if above_floor(m_lo) and below_ceiling(m_hi):
        return "supported"
    if not below_ceiling(m_lo) or not above_floor(m_hi):
        return "contradicted"
    return "uncertain"


def reading_text(reported: str, reading: str, tolerance: str | float | None) -> str:
    """'about 0.5 (plus or minus 0.05)', 'at least 5', 'between 11 and 12', 'a range that includes 1'..."""
    if reading == "not_evaluated":
        return ""
    tol = f" (plus or minus {float(tolerance):g})" if tolerance not in (None, "") and float(tolerance) else ""
    if reading == "between":
        low, _, high = str(reported).partition("..")
        return f"between {low} and {high}{tol}"
    words = {"exact": "exactly", "about": "about", "at_least": "at least", "more_than": "more than",
             "less_than": "less than", "includes": "a range that includes", "excludes": "a range that excludes"}[reading]
    return f"{words} {reported}{tol}"


def check(ds: Dataset, metric_name: str, params: dict, reported: str, reading: str, tolerance: float | None = None,
          as_of: date | str | None = None) -> dict:
    """Check one claim: compute the metric as of `as_of` and give the verdict with both values."""
    try:
        value = parse_reported(str(reported), metric_name, reading)
    except ValueError as err:
        raise MetricError(f"--reported {reported!r} {err}") from None
    call = dict(params)
    if "as_of" in metric(metric_name).parameters:
        call["as_of"] = as_of
    result: MetricResult = compute(metric_name, ds, **call)
    if result.lo is None and result.hi is None:
        outcome, why = "not_evaluated", "the metric is undefined for this window or date"
    else:
        outcome, why = verdict(result.lo, result.hi, value, reading, tolerance), ""
    return {"verdict": outcome, "measured_lo": result.lo, "measured_hi": result.hi, "measured": result.text,
            "reported": str(reported), "reading": reading_text(str(reported), reading, tolerance),
            "as_of": result.as_of if as_of is None else calendar_date(as_of).isoformat(),
            "why": why, "metric_result": result.to_dict()}


BASES = {
    "independent": "checked against dated facts from other sources",
    "own_figures": "checks only the article's own arithmetic on its own figures",
    "own_count": "the article's own count set against our sourced roster",
    "own_dates": "the person's date comes only from the same article, so this checks the article against itself",
    "other_count": "checked against a count another source reported",
    "": "",
}
"""What a verdict rests on, in words a reader can weigh: a 'supported' that only redoes the
article's own arithmetic says less than one checked against independent facts."""


def basis(ds: Dataset, source_id: str, metric_name: str, params: dict) -> str:
    """Which of BASES a claim's check rests on: does the measured value come from the claim's own source?"""
    if "count_id" in params:
        found = lookups.reported_count(ds, params["count_id"])
        return "own_count" if found and found["source_id"] == source_id else "other_count"
    event = {"days_before_milestone": "join", "event_date": params.get("event", "leave"),
             "departure_rank": "leave"}.get(metric_name)
    if event and "person" in params:
        found = lookups.event_sources(ds, params.get("company"), params["person"], event)
        if found is not None and set(str(found).split(";")) == {source_id}:
            return "own_dates"
    if params.get("basis") == "reported":
        return "own_figures" if lookups.own_hire_counts(ds, params.get("company"), source_id) else "other_count"
    return "independent"


COLUMNS = ("claim_id", "publisher", "published", "as_of", "claim", "metric", "params", "reported", "measured",
           "measured_lo", "measured_hi", "verdict", "note", "source_id", "url", "basis", "known_then", "verdict_then",
           "measured_then", "label")
"""The ledger's columns, in order: `verdict` and `measured` on everything the data holds now; the `_then` ones on
what sources published by `known_then` (the day the claim was written) said."""

THEN = {"supported": "fair when written", "contradicted": "not supported when written",
        "uncertain": "unsettled when written", "not_evaluated": "no evidence when written"}
STILL = {"supported": "still true", "contradicted": "still contradicted", "uncertain": "still unsettled",
         "not_evaluated": "still no evidence"}
SINCE = {"supported": "borne out since", "contradicted": "contradicted since", "uncertain": "unsettled since",
         "not_evaluated": "no longer checkable"}
"""The two verdicts in words: as written (THEN), and what became of it (STILL when the verdict held, else SINCE)."""


def label(then: str, now: str, reading: str) -> str:
    """The pair of verdicts in words: 'fair when written, still true'; 'fair when written, overtaken'..."""
    if reading == "not_evaluated":
        return "not checkable"
    if then == now:
        return f"{THEN[then]}, {STILL[now]}"
    return f"{THEN[then]}, {'overtaken' if then == 'supported' and now == 'contradicted' else SINCE[now]}"


def written_on(as_of: int, published: int | None) -> int:
    """The day a claim was written, as a day number: its source's publication day, or the claim's own as-of day
    when that is later or the source is undated (a claim cannot be checked before the day it speaks of)."""
    return as_of if published is None else max(as_of, published)


def checked(ds: Dataset, claim_id: str | None = None) -> list[dict]:
    """The ledger as rows: one per claim (in file order) with its source, reading, measured range, verdict, the
    basis the verdict rests on (see BASES), and the same check on the data as it was known on the day the claim
    was written (`known_then`, `verdict_then`, `measured_then`) with the two verdicts in words (`label`). The
    spells of every day the claims ask about are made first, in one query per company (`tables.prepare_days`).
    A claim its metric cannot check on the data itself (a person who had not left, no count for its window...)
    is a DataError naming its line, with every other such claim."""
    claims = claim_rows(ds, claim_id)
    rows = verdicts(ds, claims)
    by_day: dict[int, list[tuple]] = {}
    for claim in claims:
        by_day.setdefault(written_on(claim[4], claim[3]), []).append(claim)
    then = {}
    for day, written in sorted(by_day.items()):
        then.update({row["claim_id"]: row for row in verdicts(ds.as_known_on(day_date(day)), written)})
    for row, claim in zip(rows, claims):
        earlier = then[row["claim_id"]]
        row.update(known_then=day_date(written_on(claim[4], claim[3])).isoformat(), verdict_then=earlier["verdict"],
                   measured_then=earlier["measured"], label=label(earlier["verdict"], row["verdict"], claim[9]))
    return rows


def claim_rows(ds: Dataset, claim_id: str | None = None) -> list[tuple]:
    """The claims (or one), in file order, as `verdicts` takes them: record, id, publisher, published, as_of,
    claim, metric, params, reported, reading, tolerance, note, source_id, url."""
    claims = lookups.claims(ds, claim_id)
    if claim_id is not None and not claims:
        raise MetricError(f"no claim {claim_id!r} in claims.csv")
    return claims


SUBJECTS = (("person", "the person it names"), ("milestone_id", "the milestone it names"),
            ("count_id", "the count it names"), ("company", "the company it names"))
"""What a claim asks about, by the parameter that names it, most specific first: the words a replay uses."""


def unknown_then(ds: Dataset, given: dict) -> str:
    """What a claim's check says on data restricted to some sources that do not speak of what it asks about:
    a reader's sentence, not the command line's error (which names options and suggests spellings)."""
    subject = next((words for key, words in SUBJECTS if key in given), "what it asks about")
    when = f" by {ds.known_as_of}" if ds.known_as_of else ""
    return f"not known{when}: no source published{' by then' if when else ''} speaks of {subject}"


def verdicts(ds: Dataset, claims: list[tuple]) -> list[dict]:
    """Each claim (from `claim_rows`, of this dataset or another) checked on `ds`. On data restricted to some
    sources (as known on an earlier day), a claim that asks about someone or something the data does not know
    is not evaluated, and says why; on the data itself that is a DataError naming the claim's line."""
    _prepare(ds, [(parse_params(params), as_of) for (_, _, _, _, as_of, _, _, params, _, reading, *_) in claims
                  if reading != "not_evaluated"])
    rows, failed = [], []
    for (rec, cid, publisher, published, as_of, claim, metric_name, params, reported, reading, tolerance, note, source_id,
         url) in claims:
        row = {"claim_id": cid, "publisher": publisher, "published": "" if published is None else day_date(published).isoformat(),
               "as_of": day_date(as_of).isoformat(), "claim": claim, "metric": metric_name, "params": params,
               "reported": reading_text(reported, reading, tolerance), "measured": "", "measured_lo": "",
               "measured_hi": "", "verdict": "not_evaluated", "note": note, "source_id": source_id, "url": url, "basis": ""}
        if reading != "not_evaluated":
            given = parse_params(params)
            try:
                result = check(ds, metric_name, given, reported, reading, tolerance or None, day_date(as_of))
            except MetricError as err:
                if not ds.sources_rule:
                    failed.append((rec, params, str(err)))
                    continue
                row["measured"] = unknown_then(ds, given)
                rows.append(row)
                continue
            row.update(measured=result["measured"], verdict=result["verdict"], basis=basis(ds, source_id, metric_name, given),
                       measured_lo=_display(result["measured_lo"]), measured_hi=_display(result["measured_hi"]))
            if result["why"]:
                row["note"] = f"{note} ({result['why']})".strip()
        rows.append(row)
    if failed:
        lines = ds.lines("claims", [rec for rec, _, _ in failed])
        raise DataError([Problem("claims.csv", line, "params", params, f"cannot be checked: {message}")
                         for line, (_, params, message) in zip(lines, failed)])
    return rows


def _prepare(ds: Dataset, asked: list[tuple[dict, int]]) -> None:
    """Make the spells of every company and day the claims ask about (their as-of day, a window's end) at once."""
    days: dict[str, set[int]] = {}
    for params, as_of in asked:
        for day in (day_date(as_of), params.get("end")):
            try:
                days.setdefault(params.get("company"), set()).add(as_of_day(ds, day))
            except MetricError:  # the claim's own check says what is wrong with it
                pass
    for company, wanted in days.items():
        if company in ds.companies:
            prepare_days(ds, wanted, company)


def evaluate(ds: Dataset, claim_id: str | None = None) -> pd.DataFrame:
    """The ledger (`checked`) as a pandas frame, for the notebooks and the site."""
    import pandas as pd

    return pd.DataFrame(checked(ds, claim_id), columns=list(COLUMNS))


def ledger(ds: Dataset, claim_id: str | None = None) -> list[dict]:
    """The ledger's rows as `checked` gives them, kept in the dataset's cache entry once computed in full, so
    that `attrition claims` on unchanged files and code reads them back instead of checking every claim again.

    The entry's key covers the data files and the code (`cache.code_version`), the only inputs of the
    ledger. On another engine than DuckDB the ledger is always computed: that engine is what is asked for.
    """
    kept = ds.engine.dialect == "duckdb"
    stored = cache.read_ledger(ds.fingerprint) if kept else None
    if stored is None:
        if claim_id is not None or not kept:
            return checked(ds, claim_id)
        full = checked(ds)
        cache.keep_ledger(ds.fingerprint, {"columns": list(COLUMNS), "data": [[row[c] for c in COLUMNS] for row in full]})
    else:
        full = [dict(zip(stored["columns"], values)) for values in stored["data"]]
    if claim_id is None:
        return full
    chosen = [row for row in full if row["claim_id"] == claim_id]
    if not chosen:
        raise MetricError(f"no claim {claim_id!r} in claims.csv")
    return chosen


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
