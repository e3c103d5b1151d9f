"""Where people went: destinations of departures, competing risks, flows between labs, lineage.

Each lasting departure (the leaving rule of `survival`) takes its destination from moves.csv, as
`moves` finds it (the engine counts the flows between companies there, without pandas). Cumulative
incidence by category uses the same tenures and observation windows as the survival curves
(`survival.tenures`), fitted by `estimators.aalen_johansen`, which never breaks ties at random.
The lineage tables group the founders' former organisations as `core.lineage` matches them to the companies of
the data, the one rule `moves.alumni_founded` counts with.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from attrition.core.departures import destinations_frame
from attrition.core.lineage import prior_affiliations
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures import estimators, reasons
from attrition.measures.moves import CATEGORY_LABELS, CATEGORY_WORDS  # noqa: F401 (site)
from attrition.measures.survival import tenures
from attrition.result import MetricResult
from attrition.schema import MOVE_CATEGORIES
from attrition.text import PLURAL


def departures(ds: Dataset, scope: Scope) -> pd.DataFrame:
    """The scope's tenure table (each person followed to their last observation) with, for everyone who left
    (date midpoints), where they went: category, destination and destination_company ("" if not in
    the data), as `core.departures.destinations` finds them."""
    return tenures(ds, scope).merge(destinations_frame(ds, scope), on=["person_id", "company"],
                                    how="left")


def cumulative_incidence(ds: Dataset, scope: Scope) -> pd.DataFrame:
    """The share of the scope that had left for each destination category, by days since joining
    (Aalen-Johansen on date midpoints, every lab pooled when it names no company), with 95% bands."""
    table = departures(ds, scope)
    if table.empty:
        return estimators.aalen_johansen([], [])
    return estimators.aalen_johansen(table["midpoint_days"], table["category"], entry=table["midpoint_entry"])


def incidence_at(curves: pd.DataFrame, years: float) -> pd.DataFrame:
    """Each category's cumulative incidence (and band) on the last event day on or before `years`."""
    days = years * 365.25
    upto = curves[curves["days"] <= days]
    return upto.groupby("cause", sort=True).tail(1).set_index("cause")[["incidence", "lower", "upper"]]


def destinations(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                 at_years: tuple[float, ...] | str = (1, 2, 3)) -> MetricResult:
    """Where a cohort's leavers went, and why they left where sources say: people per destination category and
    per reason, and the share gone to each within N years (competing risks, 95% intervals)."""
    from attrition.measures.lab_shares import parse_years

    scope = Scope.of(ds, company, cohort, as_of)
    years = parse_years(at_years)
    table = departures(ds, scope)
    gone = table[table["category"] != ""]
    counts = gone["category"].value_counts()
    curves = estimators.aalen_johansen(table["midpoint_days"], table["category"], entry=table["midpoint_entry"]) if len(table) else None
    followed = float(table["midpoint_days"].max()) if len(table) else 0.0
    cutoff = scope.date
    noun = PLURAL[cohort]
    lines = [f"{len(gone)} of {len(table)} {noun} of {ds.company_names[company]} had left as of {cutoff} "
             f"(date midpoints); where they went:"]
    none = {"incidence": 0.0, "lower": 0.0, "upper": 0.0}
    observable = {y: incidence_at(curves, y) for y in years if curves is not None and y * 365.25 <= followed}
    rows = []
    for category in (c for c in MOVE_CATEGORIES if c in counts.index):
        people = gone[gone["category"] == category]
        shares = {y: at.loc[category].to_dict() if category in at.index else none for y, at in observable.items()}
        share_text = "; ".join(f"{v['incidence']:.0%} within {y:g} year{'s' if y != 1 else ''} "
                               f"[{v['lower']:.0%}, {v['upper']:.0%}]" for y, v in shares.items())
        lines.append(f"  {CATEGORY_WORDS[category]}: {len(people)}" + (f" ({share_text})" if share_text else ""))
        rows.append({"category": category, "people": int(len(people)), "person_ids": sorted(people["person_id"]),
                     "destinations": sorted(set(people["destination"]) - {""}),
                     "within_years": {f"{y:g}": v for y, v in shares.items()}})
    why = []
    if reasons.has_reasons(ds, company):
        why = reasons.by_reason(ds, reasons.leavers(ds, scope), years)
        lines += ["why they left (the share gone for each reason within each number of years of joining, "
                  "95% intervals):", *reasons.lines(why)]
    return MetricResult(metric="destinations", company=company, cohort=cohort, as_of=cutoff.isoformat(),
                        lo=int(len(gone)), hi=int(len(gone)), unit="people", text="\n".join(lines),
                        person_ids={"departed": sorted(gone["person_id"])},
                        details={"categories": rows, "reasons": [{k: v for k, v in r.items() if k != "person_ids"}
                                                                 for r in why]})


def flow_table(ds: Dataset, cohort: str | None = None, as_of: date | str | None = None) -> pd.DataFrame:
    """People who left one company of the data, by where they went: `to` is the destination company
    when it is in the data, else the category. Columns: company, to, to_company (bool), people, names."""
    table = departures(ds, Scope.of(ds, cohort=cohort, as_of=as_of))
    gone = table[table["category"] != ""]
    inside = gone["destination_company"] != ""
    gone = gone.assign(to=np.where(inside, gone["destination_company"], gone["category"]), to_company=inside)
    return (gone.sort_values("name").groupby(["company", "to", "to_company"], sort=True)
            .agg(people=("person_id", "size"), names=("name", ", ".join)).reset_index())


def lineage(ds: Dataset) -> pd.DataFrame:
    """Which organisations each lab's founders came from: one row per former organisation (as written)
    and lab, with the founders' names; `from_company` is its id when it is a company in the data."""
    edges = (prior_affiliations(ds).sort_values("name").groupby(["origin", "from_company", "company"], sort=True)
             .agg(founders=("person_id", "size"), names=("name", ", ".join)).reset_index())
    return edges.rename(columns={"origin": "from"})


def founding_days(ds: Dataset) -> pd.Series:
    """Per company, in order: the day its first founder joined (date midpoints)."""
    return tenures(ds, Scope.of(ds, cohort="founder")).groupby("company")["start_mid"].min().sort_values(kind="stable")


def lab_lineage(ds: Dataset) -> pd.DataFrame:
    """Labs founded by alumni of other labs in the data: one row per (from_company, company) with the
    founders who had worked at the first."""
    prior = prior_affiliations(ds)
    prior = prior[(prior["from_company"] != "") & (prior["from_company"] != prior["company"])]
    return (prior.drop_duplicates(["from_company", "company", "person_id"]).sort_values("name")
            .groupby(["from_company", "company"], sort=True)
            .agg(founders=("person_id", "size"), names=("name", ", ".join)).reset_index())


def destination_share(ds: Dataset, category: str, cohort: str | None = None, company: str | None = None,
                      at_years: tuple[float, ...] | str = (3,), as_of: date | str | None = None) -> MetricResult:
    """The share of a cohort that had left for one destination category within N years of joining
    (Aalen-Johansen cumulative incidence, date midpoints, every company pooled when none is named); the 95%
    interval is in details. Undefined when no one was followed that long."""
    from attrition.measures.lab_shares import parse_years

    (years,) = parse_years(at_years)[:1]
    scope = Scope.of(ds, company, cohort, as_of)
    table = departures(ds, scope)
    cutoff = scope.date
    curves = estimators.aalen_johansen(table["midpoint_days"], table["category"], entry=table["midpoint_entry"]) if len(table) else None
    followed = float(table["midpoint_days"].max()) if len(table) else 0.0
    if curves is None or years * 365.25 > followed:
        return MetricResult(metric="destination_share", company=company or "all", cohort=cohort,
                            as_of=cutoff.isoformat(), lo=None, hi=None, unit="share",
                            text=f"no one followed {years:g} years by {cutoff}")
    at = incidence_at(curves, years)
    value = at.loc[category].to_dict() if category in at.index else {"incidence": 0.0, "lower": 0.0, "upper": 0.0}
    share = float(value["incidence"])
    return MetricResult(metric="destination_share", company=company or "all", cohort=cohort, as_of=cutoff.isoformat(),
                        lo=share, hi=share, unit="share",
                        text=(f"{share:.0%} of {PLURAL[cohort]} {CATEGORY_WORDS[category]} within {years:g} years of "
                              f"joining (95% interval {value['lower']:.0%} to {value['upper']:.0%}), as of {cutoff}"),
                        details={"years": years, "category": category, "ci_lower": float(value["lower"]),
                                 "ci_upper": float(value["upper"]), "n": len(table)})
