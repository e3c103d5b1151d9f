"""Findings that set labs side by side: where one ranks with the uncertainty of small teams, which labs'
founders left clearly faster or slower than a reference lab's, and how the definition of a founding
team moves a lab's share."""

from __future__ import annotations

from attrition.findings.finding import (
    Claim,
    Finding,
    between,
    capitalised,
    measured,
    span,
)
from attrition.findings.survival import comparison
from attrition.io.dataset import Dataset
from attrition.measures import peers
from attrition.text import listing, possessive


def rank(ds: Dataset, company: str, years: float = 3, cohort: str = "founder", censoring: str = "freeze") -> Finding:
    """Where a lab ranks by the share of its cohort gone within `years`, as its simultaneous confidence set of ranks."""
    result, params = measured("lab_rank", ds, company=company, at_years=(years,), cohort=cohort, censoring=censoring)
    claim = Claim("lab_rank", params, "between", between(result.lo, result.hi))
    best, worst = (int(v) for v in span(claim))
    labs, name = result.denominator["lo"], ds.company_names[company]
    if best == worst:
        sentence = (f"By the share gone within {years:g} years, {name} ranks {best} of the {labs} labs followed that "
                    "long, and the simultaneous 95% confidence set for every lab's rank holds only that rank")
    else:
        sentence = (f"By the share gone within {years:g} years, {name} ranks somewhere from {best} to {worst} of the "
                    f"{labs} labs followed that long (1 = the most gone; a simultaneous 95% confidence set for every "
                    "lab's rank)")
    return Finding(f"{company}-rank-{years:g}y", sentence, (claim,), (result,))


def against(ds: Dataset, reference: str, cohort: str = "founder") -> tuple[Finding, list[Finding]]:
    """Each other lab's founders against `reference`'s (log-rank hazard ratios): one finding per lab, and one
    that sums them up by direction (clearly faster, clearly slower, no clear difference)."""
    labs = sorted(set(peers.lab_tenures(ds, cohort)["company"]) - {reference})
    names = ds.company_names
    each = [comparison(ds, lab, cohort, versus_company=reference, label=f"{possessive(names[lab])} {cohort}s",
                       versus_label=f"{possessive(names[reference])}") for lab in labs]
    by_way = {way: [names[lab] for lab, f in zip(labs, each) if f.direction == way]
              for way in ("higher", "lower", "no clear difference")}
    parts = []
    if by_way["lower"]:
        parts.append(f"{possessive(names[reference])} {cohort}s left clearly faster than those of {listing(by_way['lower'])}")
    if by_way["higher"]:
        parts.append(f"those of {listing(by_way['higher'])} left clearly faster than {possessive(names[reference])}")
    if by_way["no clear difference"]:
        parts.append(f"against {listing(by_way['no clear difference'])} the data cannot tell which left faster")
    sentence = "; ".join(parts) + " (log-rank hazard ratios, 95% intervals)"
    summary = Finding(f"{reference}-{cohort}-against-labs", capitalised(sentence),
                      tuple(c for f in each for c in f.claims), tuple(r for f in each for r in f.results))
    return summary, each




def variants(ds: Dataset, company: str) -> Finding:
    """A lab's share of founders gone under each founding-team definition sources give (those that name people)."""
    table = peers.team_variant_table(ds)
    rows = table[(table["company"] == company) & table["den_hi"].notna()]
    claims, results, lows, highs = [], [], [], []
    for variant in rows["variant"]:
        result, params = measured("variant_share", ds, company=company, variant=variant)
        claims.append(Claim("variant_share", params, "between", between(round(result.lo, 4), round(result.hi, 4)), 0.00005))
        results.append(result)
        lows.append(result.lo)
        highs.append(result.hi)
    name, teams = ds.company_names[company], len(claims)
    if min(lows) == max(highs):
        sentence = (f"At {name}, {min(lows):.0%} of the founding team had left by {ds.freeze_date} under each of the "
                    f"{teams} definitions sources give")
    else:
        sentence = (f"At {name}, between {min(lows):.0%} and {max(highs):.0%} of the founding team had left by "
                    f"{ds.freeze_date}, depending on which of the {teams} definitions is used")
    return Finding(f"{company}-team-variants", sentence, tuple(claims), tuple(results))


def sample(ds: Dataset, cohort: str = "founder") -> Finding:
    """How many of a cohort the data name across all labs, and how many had left (first lasting departures)."""
    result, params = measured("destination_count", ds, cohort=cohort)
    sentence = (f"The data name {result.denominator['lo']} {cohort}s at {result.details['companies']} labs; "
                f"{result.lo} of them had left by {result.as_of}")
    return Finding(f"{cohort}-sample", sentence, (Claim("destination_count", params, "exact", str(result.lo)),), (result,))
