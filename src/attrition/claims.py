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

import pandas as pd

from attrition import cache
from attrition.claims_file import parse_params, parse_reported
from attrition.dataset import Dataset
from attrition.registry import compute, metric
from attrition.result import MetricError, MetricResult

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


def allowed_interval(reported: float, reading: str, tolerance: float = 0.0) -> tuple[float, float, bool, bool]:
    """The values a claim allows: (low, high, low is open, high is open)."""
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
    compared as days.
    """
    if reading == "not_evaluated":
        return "not_evaluated"
    m_lo, m_hi = _as_number(lo), _as_number(hi)
    m_lo = -math.inf if m_lo is None else m_lo
    m_hi = math.inf if m_hi is None else m_hi
    a_lo, a_hi, open_lo, open_hi = allowed_interval(_as_number(reported), reading, float(tolerance or 0))
    above_floor = (lambda v: v > a_lo + EPSILON) if open_lo else (lambda v: v >= a_lo - EPSILON)
    below_ceiling = (lambda v: v < a_hi - EPSILON) if open_hi else (lambda v: v <= a_hi + EPSILON)
    if above_floor(m_lo) and below_ceiling(m_hi):
        return "supported"
    if not below_ceiling(m_lo) or not above_floor(m_hi):
        return "contradicted"
    return "uncertain"


def reading_text(reported: str, reading: str, tolerance: str | float | None) -> str:
    """'about 0.5 (plus or minus 0.05)', 'at least 5', ..."""
    if reading == "not_evaluated":
        return ""
    words = {"exact": "exactly", "about": "about", "at_least": "at least", "more_than": "more than",
             "less_than": "less than"}[reading]
    tol = f" (plus or minus {float(tolerance):g})" if tolerance not in (None, "") and float(tolerance) else ""
    return f"{words} {reported}{tol}"


def check(ds: Dataset, metric_name: str, params: dict, reported: str, reading: str, tolerance: float | None = None,
          as_of: date | str | None = None) -> dict:
    """Check one claim: compute the metric as of `as_of` and give the verdict with both values."""
    try:
        value = parse_reported(str(reported), metric_name)
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
            "as_of": result.as_of if as_of is None else pd.Timestamp(as_of).date().isoformat(),
            "why": why, "metric_result": result.to_dict()}


BASES = {
    "independent": "checked against dated facts from other sources",
    "own_figures": "checks only the article's own arithmetic on its own figures",
    "own_count": "the article's own count set against our sourced roster",
    "other_count": "checked against a count another source reported",
    "": "",
}
"""What a verdict rests on, in words a reader can weigh: a 'supported' that only redoes the
article's own arithmetic says less than one checked against independent facts."""


def basis(ds: Dataset, source_id: str, metric_name: str, params: dict) -> str:
    """Which of BASES a claim's check rests on: does the measured value come from the claim's own source?"""
    counts = ds.counts.set_index("count_id")["source_id"]
    if "count_id" in params:
        return "own_count" if counts.get(params["count_id"]) == source_id else "other_count"
    if params.get("basis") == "reported":
        window = ds.counts[(ds.counts["company"] == params.get("company")) & (ds.counts["measure"] == "hires")]
        own = window[window["source_id"] == source_id]
        return "own_figures" if len(own) else "other_count"
    return "independent"


def evaluate(ds: Dataset, claim_id: str | None = None) -> pd.DataFrame:
    """The ledger: one row per claim with its source, reading, measured range, verdict and the basis
    the verdict rests on (see BASES)."""
    claims = ds.claims if claim_id is None else ds.claims[ds.claims["claim_id"] == claim_id]
    if claim_id is not None and claims.empty:
        raise MetricError(f"no claim {claim_id!r} in claims.csv")
    sources = ds.sources.set_index("source_id")
    rows = []
    for c in claims.itertuples():
        source = sources.loc[c.source_id]
        row = {"claim_id": c.claim_id, "publisher": source["publisher"],
               "published": "" if pd.isna(source["published"]) else source["published"].date().isoformat(),
               "as_of": c.as_of.date().isoformat(), "claim": c.claim, "metric": c.metric, "params": c.params,
               "reported": reading_text(c.reported, c.reading, c.tolerance), "measured": "", "measured_lo": "",
               "measured_hi": "", "verdict": "not_evaluated", "note": c.note, "source_id": c.source_id,
               "url": source["url"], "basis": ""}
        if c.reading != "not_evaluated":
            params = parse_params(c.params)
            result = check(ds, c.metric, params, c.reported, c.reading, c.tolerance or None, c.as_of)
            row.update(measured=result["measured"], verdict=result["verdict"], basis=basis(ds, c.source_id, c.metric, params),
                       measured_lo=_display(result["measured_lo"]), measured_hi=_display(result["measured_hi"]))
            if result["why"]:
                row["note"] = f"{c.note} ({result['why']})".strip()
        rows.append(row)
    columns = ["claim_id", "publisher", "published", "as_of", "claim", "metric", "params", "reported", "measured",
               "measured_lo", "measured_hi", "verdict", "note", "source_id", "url", "basis"]
    return pd.DataFrame(rows, columns=columns)


def ledger(ds: Dataset, claim_id: str | None = None) -> pd.DataFrame:
    """The ledger as `evaluate` gives it, kept in the dataset's cache entry once computed in full, so that
    `attrition claims` on unchanged files and code reads it back instead of checking every claim again.

    The entry's key covers the data files and the code (`cache.code_version`), the only inputs of the
    ledger. On another engine than DuckDB the ledger is always computed: that engine is what is asked for.
    """
    kept = ds.engine.dialect == "duckdb"
    stored = cache.read_ledger(ds.fingerprint) if kept else None
    if stored is None:
        if claim_id is not None or not kept:
            return evaluate(ds, claim_id)
        full = evaluate(ds)
        cache.keep_ledger(ds.fingerprint, full.to_dict(orient="split", index=False))
    else:
        full = pd.DataFrame(stored["data"], columns=stored["columns"], dtype=object)
    if claim_id is None:
        return full
    chosen = full[full["claim_id"] == claim_id].reset_index(drop=True)
    if chosen.empty:
        raise MetricError(f"no claim {claim_id!r} in claims.csv")
    return chosen


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
