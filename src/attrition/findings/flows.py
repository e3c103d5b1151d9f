"""Findings about where people went: how many leavers have a sourced destination, the most common kind,
the moves between labs in the data, the labs founded by other labs' alumni, and an open roster set
beside retention figures published from closed data."""

from __future__ import annotations

from attrition.core.departures import UNKNOWN
from attrition.findings.finding import Claim, Finding, about, capitalised, measured
from attrition.io.dataset import Dataset
from attrition.measures import flows
from attrition.schema import MOVE_CATEGORIES
from attrition.text import possessive


def _count(ds: Dataset, **params) -> tuple[Claim, object]:
    result, given = measured("destination_count", ds, **params)
    return Claim("destination_count", given, "exact", str(result.lo)), result


def where_they_went(ds: Dataset, cohort: str = "founder") -> Finding:
    """Of everyone in a cohort who left any company of the data: how many have a sourced destination, the
    most common kind, how many moved to another company in the data, and how many no source places."""
    total_claim, total = _count(ds, cohort=cohort)
    unknown_claim, unknown = _count(ds, cohort=cohort, category=UNKNOWN)
    counts = {c: measured("destination_count", ds, cohort=cohort, category=c)
              for c in MOVE_CATEGORIES if c != UNKNOWN}
    known = total.lo - unknown.lo
    top = max(counts, key=lambda c: (counts[c][0].lo, -MOVE_CATEGORIES.index(c)))
    top_result, top_params = counts[top]
    between_labs, between_params = measured("flow_matrix", ds, cohort=cohort)
    claims = (total_claim, unknown_claim, Claim("destination_count", top_params, "exact", str(top_result.lo)),
              Claim("flow_matrix", between_params, "exact", str(between_labs.lo)))
    sentence = (f"Of the {total.lo} {cohort}s who had left one of the {total.details['companies']} labs by "
                f"{total.as_of}, sources say where {known} went: most often they {flows.CATEGORY_WORDS[top]} "
                f"({top_result.lo}), and {between_labs.lo} moved to another lab in this data. For {unknown.lo}, "
                "no source says where they went")
    return Finding(f"{cohort}-destinations", sentence, claims, (total, unknown, top_result, between_labs))


def most_common_destination(ds: Dataset, years: float = 3, company: str | None = None, cohort: str = "founder") -> Finding:
    """The destination most of a cohort had left for within `years` of joining (cumulative incidence), with
    its interval; every known kind is given in the chart beside it."""
    shares = {c: measured("destination_share", ds, category=c, cohort=cohort, company=company, at_years=(years,))
              for c in MOVE_CATEGORIES if c != UNKNOWN}
    who = (f"{possessive(ds.company_names[company])} {cohort}s" if company
           else f"{cohort.capitalize()}s of all {len(ds.companies)} labs")
    defined = {c: r for c, (r, _) in shares.items() if r.lo is not None}
    if not defined or max(r.lo for r in defined.values()) == 0:
        any_result, params = measured("destination_count", ds, cohort=cohort, company=company)
        claim = Claim("destination_count", params, "exact", str(any_result.lo))
        return Finding(f"{company or 'all'}-{cohort}-top-destination",
                       f"{who}: no known destination within {years:g} years yet", (claim,), (any_result,))
    top = max(defined, key=lambda c: (defined[c].lo, -MOVE_CATEGORIES.index(c)))
    result, params = shares[top]
    reported, tolerance = about(result.lo, 2)
    sentence = (f"{who}: within {years:g} years of joining, {float(reported):.0%} {flows.CATEGORY_WORDS[top]} "
                f"(95% interval {result.details['ci_lower']:.0%} to {result.details['ci_upper']:.0%}), the most common "
                "known destination")
    return Finding(f"{company or 'all'}-{cohort}-top-destination", sentence,
                   (Claim("destination_share", params, "about", reported, tolerance),), (result,))


def within_years(ds: Dataset, years: float = 3, cohort: str = "founder") -> Finding:
    """Every known kind of destination founders had left for within `years`, with intervals."""
    claims, results, parts = [], [], []
    for category in MOVE_CATEGORIES:
        if category == UNKNOWN:
            continue
        result, params = measured("destination_share", ds, category=category, cohort=cohort, at_years=(years,))
        if result.lo is None or result.lo <= 0:
            continue
        reported, tolerance = about(result.lo, 2)
        claims.append(Claim("destination_share", params, "about", reported, tolerance))
        results.append(result)
        parts.append(f"{float(reported):.0%} {flows.CATEGORY_WORDS[category]} (95% interval "
                     f"{result.details['ci_lower']:.0%} to {result.details['ci_upper']:.0%})")
    if not claims:
        result, params = measured("destination_count", ds, cohort=cohort)
        return Finding(f"{cohort}-within-{years:g}y", f"No known destination within {years:g} years of joining",
                       (Claim("destination_count", params, "exact", str(result.lo)),), (result,))
    return Finding(f"{cohort}-within-{years:g}y", f"Within {years:g} years of joining: " + "; ".join(parts),
                   tuple(claims), tuple(results))


def moves_between(ds: Dataset, cohort: str | None = None) -> Finding:
    """How many left one lab of the data for another, and which lab received the most."""
    total, params = measured("flow_matrix", ds, cohort=cohort)
    table = flows.flow_table(ds, cohort)
    inside = table[table["to_company"]]
    who = "people" if cohort is None else f"{cohort}s"
    claims = [Claim("flow_matrix", params, "exact", str(total.lo))]
    if inside.empty:
        return Finding(f"{cohort or 'all'}-moves", "No one moved between the labs in the data", tuple(claims), (total,))
    received = inside.groupby("to")["people"].sum().sort_values(ascending=False, kind="stable")
    top = received.index[0]
    count_claim, count = _count(ds, cohort=cohort, to_company=top)
    claims.append(count_claim)
    sentence = (f"Of {total.lo} {who} who left one lab for another lab in the data, {count.lo} went to "
                f"{ds.company_names[top]}")
    return Finding(f"{cohort or 'all'}-moves", sentence, tuple(claims), (total, count))


def largest_moves(ds: Dataset, pairs: int = 3) -> Finding:
    """The largest moves between two labs of the data, each with its count and who moved."""
    table = flows.flow_table(ds)
    inside = table[table["to_company"]].sort_values(["people", "company"], ascending=[False, True]).head(pairs)
    names = ds.company_names
    claims, results, parts = [], [], []
    for row in inside.itertuples():
        claim, result = _count(ds, cohort=None, company=row.company, to_company=row.to)
        claims.append(claim)
        results.append(result)
        parts.append(f"{names[row.company]} to {names[row.to]}, {result.lo} ({row.names})")
    if not claims:
        total, params = measured("flow_matrix", ds)
        return Finding("largest-moves", "No one moved between the labs in the data",
                       (Claim("flow_matrix", params, "exact", str(total.lo)),), (total,))
    return Finding("largest-moves", "The largest moves between labs in the data: " + "; ".join(parts),
                   tuple(claims), tuple(results))


def alumni(ds: Dataset) -> Finding:
    """Which lab's alumni founded or co-founded the most other labs in the data."""
    edges = flows.lab_lineage(ds)
    fanout = edges.groupby("from_company")["company"].nunique()
    if fanout.empty:
        result, params = measured("alumni_founded", ds, company=sorted(ds.companies)[0])
        return Finding("alumni", "No lab in the data was founded by another's alumni",
                       (Claim("alumni_founded", params, "exact", "0"),), (result,))
    most = sorted(fanout.index[fanout == fanout.max()])
    claims, results = [], []
    for company in most:
        result, params = measured("alumni_founded", ds, company=company)
        claims.append(Claim("alumni_founded", params, "exact", str(result.lo)))
        results.append(result)
    names = " and of ".join(ds.company_names[c] for c in most)
    sentence = (f"Alumni of {names} {'each ' if len(most) > 1 else ''}founded or co-founded {results[0].lo} of the "
                f"other {results[0].denominator['lo']} labs in the data")
    return Finding("alumni", sentence, tuple(claims), tuple(results))


def open_listing(open_ds: Dataset) -> Finding:
    """How many people an open roster lists at each lab, and where it lists the most (checked on that roster)."""
    counts = {c: measured("record_count", open_ds, company=c, table="people") for c in open_ds.companies}
    top = max(counts, key=lambda c: (counts[c][0].lo, c))
    total = sum(r.lo for r, _ in counts.values())
    claims = tuple(Claim("record_count", p, "exact", str(r.lo), dataset="aiwatch") for r, p in counts.values())
    sentence = (f"The open roster lists {total:,} people at {len(counts)} labs, most of them at "
                f"{open_ds.company_names[top]} ({counts[top][0].lo:,})")
    return Finding("open-roster-listing", sentence, claims, tuple(r for r, _ in counts.values()))


def published_against_open(open_ds: Dataset, published) -> tuple[Finding, list[Finding]]:
    """For each published retention figure (a frame with the open roster's `company`, the `published` share
    and its `years`, as attrition.claims.open_data gives them), whether it lies inside the open roster's 95%
    interval under both ways of counting people it lists as still there; and a sum-up over the labs."""
    table = published.reset_index(drop=True)
    each = []
    for row in table.itertuples():
        claims, results, inside = [], [], []
        for censoring in ("observed", "freeze"):
            result, params = measured("retention_interval", open_ds, company=row.company, at_years=(float(row.years),),
                                      censoring=censoring)
            within = result.lo is not None and result.lo <= row.published <= result.hi
            claims.append(Claim("retention_interval", params, "includes" if within else "excludes",
                                f"{row.published:g}", dataset="aiwatch"))
            results.append(result)
            inside.append(within)
        name = open_ds.company_names[row.company]
        where = ("inside the open roster's 95% interval under both ways of counting" if all(inside) else
                 "outside it under both" if not any(inside) else "inside it under one way of counting only")
        each.append(Finding(f"open-{row.company}-retention", capitalised(f"{name}: the published {row.published:.0%} "
                                                                          f"lies {where}"),
                            tuple(claims), tuple(results)))
    inside = sum(any(c.reading == "includes" for c in f.claims) for f in each)
    years = float(table["years"].iloc[0]) if len(table) else 2.0
    summary = Finding("open-retention", f"The published {years:g}-year retention lies within the open data's 95% "
                                        f"interval, under at least one way of counting, for {inside} of {len(each)} labs",
                      tuple(c for f in each for c in f.claims), tuple(r for f in each for r in f.results))
    return summary, each
