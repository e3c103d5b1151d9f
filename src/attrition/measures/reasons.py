"""Why people left: each lasting departure's reason category, and the cumulative incidence of each.

The reason is the one its sources give (evidence.csv `reason`; an imported roster writes there the
category its mapping sorted the export's words into), and `unknown` where none is given. Incidence by
reason is the competing-risks estimate (Aalen-Johansen, ties kept, late entry honoured) on the same
tenures and observation windows as the survival curves, so the shares for every reason add up to the
share gone on the curve.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from attrition.core import lookups
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures import estimators
from attrition.measures.survival import tenures
from attrition.result import MetricError, MetricResult
from attrition.schema import REASON_CATEGORIES
from attrition.text import PLURAL, did_you_mean

UNKNOWN = REASON_CATEGORIES[-1]
NONE = {"incidence": 0.0, "lower": 0.0, "upper": 0.0}


def leavers(ds: Dataset, scope: Scope) -> pd.DataFrame:
    """The scope's tenure table (each person followed to their last observation) with `reason`: for everyone who
    left (date midpoints), their reason category (`unknown` when no source gives one); "" for the others."""
    table = tenures(ds, scope)
    left = table["midpoint_left"].to_numpy(dtype=bool)
    given = table["end_reason"].fillna("").astype(str).str.strip()
    return table.assign(reason=np.where(left, given.where(given != "", UNKNOWN), ""))


def categories(ds: Dataset, found: list[str] | None = None) -> list[str]:
    """Reason categories in the order to list them: dataset.toml's [reasons] categories (an imported roster's
    mapping), then any other found in the data, alphabetically, `unknown` last."""
    listed = [str(c) for c in ds.config.get("reasons", {}).get("categories", [])]
    seen = sorted(set(found or []) - set(listed) - {UNKNOWN})
    return list(dict.fromkeys([*[c for c in listed if c != UNKNOWN], *seen, UNKNOWN]))


def has_reasons(ds: Dataset, company: str | None = None) -> bool:
    """Whether any source gives a reason for leaving (at `company`, or anywhere)."""
    return lookups.has_reasons(ds, company)


def incidence(table: pd.DataFrame) -> pd.DataFrame:
    """Each reason's cumulative incidence by days since joining (Aalen-Johansen with 95% bands) from `leavers`."""
    return estimators.aalen_johansen(table["midpoint_days"], table["reason"], entry=table["midpoint_entry"])


def incidence_at(curves: pd.DataFrame, years: float) -> pd.DataFrame:
    """Each reason's cumulative incidence (and band) on the last event day on or before `years`."""
    upto = curves[curves["days"] <= years * 365.25]
    return upto.groupby("cause", sort=True).tail(1).set_index("cause")[["incidence", "lower", "upper"]]


def by_reason(ds: Dataset, table: pd.DataFrame, years: tuple[float, ...]) -> list[dict]:
    """Per reason, in order: people, their ids, and the share gone for it within each of `years` that the
    table's people were followed (with 95% intervals)."""
    gone = table[table["reason"] != ""]
    if gone.empty:
        return []
    curves = incidence(table)
    followed = float(table["midpoint_days"].max())
    observable = {y: incidence_at(curves, y) for y in years if y * 365.25 <= followed}
    counts = gone["reason"].value_counts()
    rows = []
    for reason in (c for c in categories(ds, list(counts.index)) if c in counts.index):
        shares = {f"{y:g}": at.loc[reason].to_dict() if reason in at.index else dict(NONE)
                  for y, at in observable.items()}
        rows.append({"reason": reason, "people": int(counts[reason]),
                     "person_ids": sorted(gone.loc[gone["reason"] == reason, "person_id"]), "within_years": shares})
    return rows


def lines(rows: list[dict]) -> list[str]:
    """The rows of `by_reason` as indented lines of text."""
    out = []
    for row in rows:
        shares = "; ".join(f"{v['incidence']:.0%} within {y} year{'s' if y != '1' else ''} [{v['lower']:.0%}, "
                           f"{v['upper']:.0%}]" for y, v in row["within_years"].items())
        out.append(f"  {row['reason']}: {row['people']:,}" + (f" ({shares})" if shares else ""))
    return out


def reasons(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
            at_years: tuple[float, ...] | str = (1, 2, 3), group: str | None = None) -> MetricResult:
    """Why a cohort's leavers left: people per reason and the share gone for each within N years (competing risks)."""
    from attrition.measures.lab_shares import parse_years

    scope = Scope.of(ds, company, cohort, as_of, group=group)
    years = parse_years(at_years)
    table = leavers(ds, scope)
    rows = by_reason(ds, table, years)
    gone = sum(r["people"] for r in rows)
    cutoff = scope.date
    who = f"{PLURAL[cohort]} of {ds.company_names[company]}" + (f" in {group}" if group else "")
    text = "\n".join([f"{gone:,} of {len(table):,} {who} had left as of {cutoff} (date midpoints); why they left "
                      "(the share gone for each reason within each number of years of joining, 95% intervals):",
                      *lines(rows)])
    return MetricResult(metric="reasons", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=gone, hi=gone,
                        unit="people", text=text, denominator={"lo": len(table), "hi": len(table)},
                        person_ids={"departed": sorted(table.loc[table["reason"] != "", "person_id"])},
                        details={"reasons": [{k: v for k, v in r.items() if k != "person_ids"} for r in rows]})


def reason_share(ds: Dataset, company: str, reason: str, cohort: str | None = None,
                 at_years: tuple[float, ...] | str = (3,), as_of: date | str | None = None) -> MetricResult:
    """The share of a cohort that had left for one reason within N years of joining (Aalen-Johansen cumulative
    incidence, date midpoints); the 95% interval is in details. Undefined when no one was followed that long."""
    from attrition.measures.lab_shares import parse_years

    scope = Scope.of(ds, company, cohort, as_of)
    (years,) = parse_years(at_years)[:1]
    table = leavers(ds, scope)
    known = categories(ds, list(set(table["reason"]) - {""}))
    if reason not in known:
        raise MetricError(f"--reason {reason!r} is not a reason in the data{did_you_mean(reason, known)}; "
                          f"it has: {', '.join(known)}")
    cutoff = scope.date
    who = f"{PLURAL[cohort]} of {ds.company_names[company]}"
    if table.empty or years * 365.25 > float(table["midpoint_days"].max()):
        return MetricResult(metric="reason_share", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=None,
                            hi=None, unit="share", text=f"no {who} followed {years:g} years by {cutoff}")
    at = incidence_at(incidence(table), years)
    value = at.loc[reason].to_dict() if reason in at.index else dict(NONE)
    share = float(value["incidence"])
    return MetricResult(metric="reason_share", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=share,
                        hi=share, unit="share",
                        text=(f"{share:.0%} of {who} left within {years:g} years of joining for the reason {reason} "
                              f"(95% interval {value['lower']:.0%} to {value['upper']:.0%}), as of {cutoff}"),
                        details={"years": years, "reason": reason, "ci_lower": float(value["lower"]),
                                 "ci_upper": float(value["upper"]), "n": len(table)})
