"""An open roster (such as AI Watch) against talent figures published from closed data.

Analytics firms publish retention and flows between labs as bare point estimates. An open roster
can be checked and rerun, but it lists only some of each lab's staff, chosen by whoever keeps it,
so the comparison shows whether open data agree, with intervals, not a verdict on the claim.
"""

from __future__ import annotations

import pandas as pd

from attrition.claims.file import parse_params
from attrition.core import roster
from attrition.core.relations import CENSORING
from attrition.io.dataset import Dataset
from attrition.measures import peers
from attrition.measures.rates import rate_ratio_test


def retention(ds: Dataset, years: float = 2) -> pd.DataFrame:
    """Per company and censoring rule: people, leavers, and the share still there `years` after joining
    (Kaplan-Meier, midpoint reading), its range over the readings of uncertain dates and its 95% CI.

    `observed` follows each open spell to its last observation; `freeze` takes every open spell as
    current on the as-of day. A roster that notices leavers sooner than it re-checks stayers
    understates retention under the first rule and overstates it under the second.
    """
    name = f"gone_{years:g}y"
    parts = []
    for censoring in CENSORING:
        table = peers.lab_table(ds, cohort=None, at_years=(years,), censoring=censoring)
        parts.append(pd.DataFrame({
            "company": table["company"], "censoring": censoring, "people": table["n"], "left": table["left"],
            "retained": 1 - table[name], "retained_lo": 1 - table[f"{name}_hi"], "retained_hi": 1 - table[f"{name}_lo"],
            "ci_lower": 1 - table[f"{name}_ci_upper"], "ci_upper": 1 - table[f"{name}_ci_lower"],
            "followed_years": table["followed_years"]}))
    return pd.concat(parts, ignore_index=True).sort_values(["company", "censoring"], ignore_index=True)


def move_ratio(ds: Dataset, company: str, to_company: str) -> dict[str, float]:
    """Moves from `company` to `to_company` per move back, with an exact 95% interval (moves as Poisson
    counts; see rates.rate_ratio_test), and the moves the roster shows but has not closed (`still_listed`)."""
    moves = roster.moves_between(ds).set_index(["company", "to_company"])
    count = lambda a, b, column="people": int(moves[column].get((a, b), 0))
    test = rate_ratio_test(count(company, to_company), 1.0, count(to_company, company), 1.0)
    return {"there": count(company, to_company), "back": count(to_company, company),
            "still_listed": count(company, to_company, "still_listed") + count(to_company, company, "still_listed"),
            "ratio": test["rate_ratio"], "ci_lower": test["ci_lower"], "ci_upper": test["ci_upper"]}


def matched_ids(ds: Dataset, open_ds: Dataset) -> dict[str, str]:
    """Company ids of `ds` -> those of `open_ds`, where the display names agree."""
    by_name = {name: company for company, name in open_ds.company_names.items()}
    return {company: by_name[name] for company, name in ds.company_names.items() if name in by_name}


def published_against_open(ds: Dataset, open_ds: Dataset, source_id: str) -> pd.DataFrame:
    """One row per claim of `source_id` (retention with `years`, or moves with `to_company`), with the
    open roster's measurement beside the published value; claims about a company the open roster
    lacks are left out."""
    ids = matched_ids(ds, open_ds)
    claims = ds.claims[ds.claims["source_id"] == source_id]
    rows = []
    for claim in claims.to_dict("records"):  # a handful of claims, each a different measurement
        params = parse_params(claim["params"])
        company = ids.get(params.get("company"))
        if company is None:
            continue
        row = {"claim_id": claim["claim_id"], "claim": claim["claim"], "published": float(claim["reported"]),
               "company": company}
        if "years" in params:
            table = retention(open_ds, float(params["years"])).set_index(["company", "censoring"])
            row.update({"measure": "retention", "years": float(params["years"]),
                        **{f"{column}_{rule}": table.loc[(company, rule), column] for rule in CENSORING
                           for column in ("retained", "ci_lower", "ci_upper")},
                        "people": int(table.loc[(company, "observed"), "people"]),
                        "left": int(table.loc[(company, "observed"), "left"])})
        elif params.get("to_company") in ids:
            row.update({"measure": "moves", "to_company": ids[params["to_company"]],
                        **move_ratio(open_ds, company, ids[params["to_company"]])})
        else:
            continue
        rows.append(row)
    return pd.DataFrame(rows)


def hires_per_month(ds: Dataset) -> pd.DataFrame:
    """People joining each company per calendar month (first spells whose start is known to the month),
    every month from the company's first such join to the as-of month, zeros included; `unplaced`
    counts the company's joins known only to a wider range (a year), which no month can hold (see
    `roster.joins_per_period`, the one definition)."""
    joins = roster.joins_per_period(ds, unit="month")
    return joins.rename(columns={"period": "month", "joins": "hires"})[["company", "month", "hires", "unplaced"]]
