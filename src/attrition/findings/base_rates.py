"""Findings that set a founding team beside published base rates (base_rates.csv): each rate as its study gives it,
how unusual the team is beside it (an exact binomial tail probability), and the two reasons that probability is
no test: the studies' clocks and definitions differ from this dataset's, and departures in one team are not
independent."""

from __future__ import annotations

from attrition.findings.finding import Claim, Finding, about, between, measured
from attrition.io.dataset import Dataset
from attrition.measures.base_rates import (
    MEASURE_NOUNS,
    MEASURE_WORDS,
    busiest_window,
    odds,
    rate_ids,
    rate_row,
)
from attrition.text import possessive


def reference(ds: Dataset, rate_id: str) -> Finding:
    """One base rate as its study gives it: the share, what it counts, from when and within how long."""
    result, params = measured("base_rate", ds, rate_id=rate_id)
    reported, tolerance = about(result.lo, 3)
    return Finding(f"base-rate-{rate_id}", result.text, (Claim("base_rate", params, "about", reported, tolerance),),
                   (result,))


def beside(ds: Dataset, company: str, rate_id: str, cohort: str = "founder") -> Finding:
    """A lab's founders beside a base rate: how many left within the rate's years of joining, and the exact
    probability of at least that many had each left with the rate's chance, independently."""
    result, params = measured("base_rate_tail", ds, company=company, rate_id=rate_id, cohort=cohort)
    row, name = result.details, ds.company_names[company]
    k_lo, k_hi, n = result.numerator["lo"], result.numerator["hi"], result.denominator["lo"]
    gone = f"{k_lo}" if k_lo == k_hi else f"{k_lo} to {k_hi} (dates known only as ranges)"
    followed = row["followed"]
    sentence = (f"{gone} of {possessive(name)} {n} {cohort}s left within {row['horizon_years']:g} years of joining"
                f"{'' if followed else ' so far (not all followed that long)'}; had each left with the "
                f"{row['share']:.1%} chance of {MEASURE_NOUNS[row['measure']]} in {row['study']}, independently "
                f"of the others, that many or more would have gone with probability "
                f"{'' if followed else 'at most '}{odds(result.lo, result.hi)}")
    claim = Claim("base_rate_tail", params, "between", between(result.lo, result.hi))
    return Finding(f"{company}-beside-{rate_id}", sentence, (claim,), (result,))


def clocks(ds: Dataset) -> Finding:
    """How the studies' clocks and definitions differ from this dataset's: from when each counts, and which count
    something other than a founder leaving."""
    rates = [rate_row(ds, rate_id) for rate_id in rate_ids(ds, with_horizon=True)]
    by_clock: dict[str, list[str]] = {}
    for row in rates:
        by_clock.setdefault(row["clock"], []).append(row["study"])
    counted = " or ".join(f"{clock} ({'; '.join(studies)})" for clock, studies in by_clock.items())
    other = "".join(f", while the figure for {row['study']} counts founders {MEASURE_WORDS[row['measure']].removeprefix('were ')}"
                    f"{', who may still be at the company' if row['measure'] != 'left_company' else ''}"
                    for row in rates if row["measure"] != "left_company")
    sentence = (f"The studies count from {counted}; here a founder's clock starts on joining (for a founding team, "
                f"its public launch), and only leaving counts{other}")
    results = [measured("base_rate", ds, rate_id=row["rate_id"]) for row in rates]
    claims = tuple(Claim("base_rate", params, "about", *about(result.lo, 3)) for result, params in results)
    return Finding("base-rate-clocks", sentence, claims, tuple(result for result, _ in results))


def together(ds: Dataset, company: str | None = None, cohort: str = "founder", days: int = 61) -> Finding:
    """Departures bunched in a short window (the busiest `days` days at `company`, or at any lab): why a team's
    departures are not independent, as the tail probabilities assume."""
    chosen, start, end = busiest_window(ds, company, cohort, days)
    result, params = measured("departures_between", ds, company=chosen, start=start.isoformat(), end=end.isoformat(),
                              cohort=cohort)
    count = str(result.lo) if result.lo == result.hi else f"{result.lo} to {result.hi}"
    sentence = (f"Departures in one team are not independent, as those probabilities assume: {count} of "
                f"{possessive(ds.company_names[chosen])} {cohort}s left within {days} days, between {start} and {end}, "
                "so a small probability says how far a team is from a typical one, not that chance alone is ruled out")
    reading = ("exact", str(result.lo)) if result.lo == result.hi else ("between", between(result.lo, result.hi))
    return Finding(f"{chosen}-{cohort}s-left-together", sentence, (Claim("departures_between", params, *reading),),
                   (result,))
