"""Compared with what? Published base rates of founders leaving (base_rates.csv), and how unusual a lab's founding
team is beside them.

"Half the founders left" means little without a baseline. Studies of ordinary startups give one: the share of
founders gone (or no longer CEO) some years after the company started. If each of a team's n founders had left
within those years with that chance, independently of the others, the number gone would be binomial, and the
exact probability of at least the k we count says how far the team is from typical. Two things keep it from
being a test: departures in one team are not independent (a reorganisation or a rival's offer moves several at
once), and the clocks differ (a study's starts at incorporation or founding, ours when a founder joined, for a
founding team the public launch; some studies count a founder replaced as CEO, who may have stayed). The pages
say both beside every such number.
"""

from __future__ import annotations

import math
from datetime import date

from attrition.core import departures, lookups
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.precision import snap_significant
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL, possessive

MEASURE_WORDS = {"left_company": "had left", "not_ceo": "were no longer CEO", "replaced": "had been replaced"}
"""What each measure of base_rates.csv counts, as a verb phrase."""
MEASURE_NOUNS = {"left_company": "leaving", "not_ceo": "no longer being CEO", "replaced": "being replaced"}
"""The same, as what happens to a founder."""
YEAR = 365.25


def rate_row(ds: Dataset, rate_id: str) -> dict:
    """One row of base_rates.csv, with its source's publisher, as a dict (MetricError if there is none)."""
    found = lookups.base_rate(ds, rate_id)
    if found is None:
        known = sorted(lookups.rate_ids(ds))
        raise MetricError(f"no base rate {rate_id!r} in base_rates.csv; the data has: {', '.join(known) or 'none'}")
    return found


def rate_ids(ds: Dataset, with_horizon: bool = False) -> list[str]:
    """Every base rate's id (only those read at a horizon, with `with_horizon`), in file order."""
    return lookups.rate_ids(ds, with_horizon)


def base_rate(ds: Dataset, rate_id: str) -> MetricResult:
    """A published base rate of founders leaving (base_rates.csv): the share, what it counts and from when."""
    row = rate_row(ds, rate_id)
    horizon = "" if row["horizon_years"] is None else f" within {row['horizon_years']:g} years"
    text = (f"{row['study']}: {row['share']:.1%} of founders {MEASURE_WORDS[row['measure']]}{horizon}, counted from "
            f"{row['clock']} ({row['population']})")
    return MetricResult(metric="base_rate", company="", cohort="founder", as_of="", lo=float(row["share"]),
                        hi=float(row["share"]), unit="share", text=text, details=row)


def tail_probability(k, n, p):
    """P(X >= k) for X binomial(n, p), for one count or arrays of them at once: the regularised incomplete beta
    function (scipy.special.bdtrc, exact to rounding; a test holds it to the term-by-term sum), 1 where k <= 0."""
    import numpy as np
    from scipy.special import bdtrc

    k, n = np.asarray(k, dtype=np.int64), np.asarray(n, dtype=np.int64)
    value = np.where(k <= 0, 1.0, bdtrc(np.maximum(k - 1, 0), n, p))
    return float(value) if value.ndim == 0 else value


def team_tails(ds: Dataset, rate_id: str, scope: Scope) -> list[dict]:
    """For every company with someone in the scope's cohort (or the scope's company): its founders (`n`), how many surely and possibly left
    within the rate's years of joining (`gone_lo`, `gone_hi`; first lasting departures, those still there counted
    as staying), whether all were followed that long by the scope's day (`followed`; if not, the counts are floors), and
    the exact binomial probability of at least that many had each left with the rate's chance independently
    (`p_lo` for `gone_hi`, `p_hi` for `gone_lo`), in one query and one vectorised sum."""
    row = rate_row(ds, rate_id)
    if row["horizon_years"] is None:
        raise MetricError(f"base rate {rate_id} gives no number of years, so no team can be set beside it")
    found = departures.gone_within(ds, scope, float(row["horizon_years"]) * YEAR)
    if not found:
        return []
    companies, n, gone_lo, gone_hi, short = (list(column) for column in zip(*found))
    p = float(row["share"])
    p_lo, p_hi = tail_probability(gone_hi, n, p), tail_probability(gone_lo, n, p)
    return [{"company": c, "n": int(size), "gone_lo": int(lo), "gone_hi": int(hi), "followed": not unseen,
             "p_lo": snap_significant(a), "p_hi": snap_significant(b), "rate_id": rate_id}
            for c, size, lo, hi, unseen, a, b in zip(companies, n, gone_lo, gone_hi, short, p_lo, p_hi)]


def base_rate_tail(ds: Dataset, company: str, rate_id: str, cohort: str | None = None,
                   as_of: date | str | None = None) -> MetricResult:
    """How unusual a lab's founders' departures are beside a base rate: the exact binomial probability of at least
    as many of them gone within the rate's years of joining, had each left with the rate's chance independently
    (`team_tails`). Where a date is a range, so is the count (`lo` is the probability for the larger count);
    while some founders have not been followed that long, the count is a floor and the probability an upper
    bound (`followed` false)."""
    cohort = cohort or "founder"
    scope = Scope.of(ds, company, cohort, as_of)
    row = rate_row(ds, rate_id)
    found = team_tails(ds, rate_id, scope)
    day = scope.date
    if not found:
        raise MetricError(scope.nobody())
    team = found[0]
    lo, hi, followed = team["p_lo"], team["p_hi"], team["followed"]
    gone = f"{team['gone_lo']}" if team["gone_lo"] == team["gone_hi"] else f"{team['gone_lo']} to {team['gone_hi']}"
    text = (f"{gone} of {possessive(ds.company_names[company])} {team['n']} {PLURAL[cohort]} left within "
            f"{row['horizon_years']:g} years of joining{'' if followed else ' so far'}; had each left with the "
            f"{row['share']:.1%} chance of {MEASURE_NOUNS[row['measure']]} in {row['study']}, at least that many "
            "would have had probability "
            f"{'' if followed else 'at most '}{odds(lo, hi)} (as of {day})")
    return MetricResult(metric="base_rate_tail", company=company, cohort=cohort, as_of=day.isoformat(), lo=lo, hi=hi,
                        unit="probability", text=text, numerator={"lo": team["gone_lo"], "hi": team["gone_hi"]},
                        denominator={"lo": team["n"], "hi": team["n"]},
                        details={**row, "followed": followed})


def busiest_window(ds: Dataset, company: str | None = None, cohort: str = "founder", days: int = 61) -> tuple[str, date, date]:
    """The `days`-day window in which most of a cohort's departures surely fell, at any company (or one): where
    departures bunch, they are not independent. Ties go to the earliest window, then the company first by id."""
    from attrition.days import day_date

    found = departures.busiest_window(ds, Scope.of(ds, company, cohort), days)
    if found is None:
        raise MetricError(f"no {PLURAL[cohort]} had left{'' if company is None else f' {company}'}")
    chosen, start, _ = found
    return chosen, day_date(start), day_date(start + days - 1)


def odds(lo: float, hi: float) -> str:
    """A probability (or a range of them) in words a reader can weigh: '0.00004 (about 1 in 25,000)'."""
    def one(p: float) -> str:
        if p >= 0.05:
            return f"{p:.2f}"
        shown = f"{p:.1g}" if p >= 1e-4 else f"{p:.1e}"
        return f"{shown} (about 1 in {significant(1 / p):,})"
    return one(lo) if lo == hi else f"{one(lo)} to {one(hi)}"


def significant(value: float, digits: int = 2) -> int:
    """A large number rounded to `digits` significant digits: 24,391,882 -> 24,000,000."""
    if value <= 0 or not math.isfinite(value):
        return 0
    scale = 10 ** max(int(math.floor(math.log10(value))) - digits + 1, 0)
    return int(round(value / scale) * scale)
