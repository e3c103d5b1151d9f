"""Who came back: the share of leavers who returned (rehires, boomerangs), how long they were away, and each
returner's history of spells.

A return is a later spell of the same person at the same company (a `return` in evidence.csv; a second
row of an imported roster). Returns of every length count here, including the short absences the survival
curves do not count as leaving (an interruption: back within relations.INTERRUPTION_DAYS).
"""

from __future__ import annotations

from datetime import date
from statistics import median
from typing import TYPE_CHECKING

from attrition.core import departures
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures.rates import binomial_ci
from attrition.result import MetricResult
from attrition.text import PLURAL, days_and_years

if TYPE_CHECKING:
    import pandas as pd


def rehire_rate(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                group: str | None = None) -> MetricResult:
    """The share of people who left and later came back to the same company (rehires), of everyone who left:
    a range where a departure is not sure by `as_of`, with an exact 95% interval in details."""
    scope = Scope.of(ds, company, cohort, as_of, group=group)
    k, n_lo, maybe, came_back = departures.rehires(ds, scope)
    n_hi = n_lo + maybe
    cutoff = scope.date
    who = f"{PLURAL[cohort]} of {ds.company_names[company]}" + (f" in {group}" if group else "")
    if n_lo == 0:
        return MetricResult(metric="rehire_rate", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=None,
                            hi=None, unit="share", text=f"no {who} had left by {cutoff}, so none could come back")
    lo, hi = k / n_hi, k / n_lo
    ci = binomial_ci(k, n_lo)
    span = f"{lo:.1%}" if lo == hi else f"{lo:.1%} to {hi:.1%}"
    text = (f"{k:,} of the {n_lo:,} {who} who had left came back ({span}; exact 95% interval {ci[0]:.1%} to "
            f"{ci[1]:.1%}), as of {cutoff}")
    return MetricResult(metric="rehire_rate", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=lo, hi=hi,
                        unit="share", text=text, numerator={"lo": k, "hi": k}, denominator={"lo": n_lo, "hi": n_hi},
                        person_ids={"returned": came_back}, details={"ci_lower": ci[0], "ci_upper": ci[1]})


def time_away(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
              group: str | None = None) -> MetricResult:
    """How long people who came back had been away: the median time from leaving to returning, as the range
    dated intervals allow (the midpoint median and the quartiles in details)."""
    scope = Scope.of(ds, company, cohort, as_of, group=group)
    table = departures.returns(ds, scope)
    cutoff = scope.date
    who = f"{PLURAL[cohort]} of {ds.company_names[company]}" + (f" in {group}" if group else "")
    if not table:
        return MetricResult(metric="time_away", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=None,
                            hi=None, unit="days", text=f"no {who} had come back by {cutoff}")
    people, away_lo, away_hi, mid = zip(*table)
    lo, hi = float(median(away_lo)), float(median(away_hi))
    span = days_and_years(lo) if lo == hi else f"{days_and_years(lo)} to {days_and_years(hi)}"
    text = (f"{PLURAL[cohort].capitalize() if cohort else 'People'} who came back to {ds.company_names[company]}"
            f"{' in ' + group if group else ''} had been away a median of {span} ({len(table):,} return"
            f"{'s' if len(table) != 1 else ''}), as of {cutoff}")
    return MetricResult(metric="time_away", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=lo, hi=hi,
                        unit="days", text=text, numerator={"lo": len(table), "hi": len(table)},
                        person_ids={"returned": sorted(set(people))},
                        details={"midpoint": float(median(mid)), "quartiles": [quantile(mid, 0.25), quantile(mid, 0.75)],
                                 "returns": len(table)})


def quantile(values: tuple[float, ...], q: float) -> float:
    """The q-quantile, interpolated linearly between the nearest two values (numpy's and pandas' default)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return float(ordered[below] + (ordered[above] - ordered[below]) * (position - below))


def histories(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None) -> pd.DataFrame:
    """Every spell of everyone who came back, in order: person, name, spell, start and end ranges, status,
    end reason, first start (to order people by)."""
    from attrition.core import roster  # the only frame of this module: the metrics above never load pandas

    scope = Scope.of(ds, company, cohort, as_of)
    spells = roster.spells(ds, scope)
    back = {person for person, *_ in departures.returns(ds, scope)}
    chosen = spells[spells["person_id"].isin(back)]
    first = chosen.groupby("person_id")["start_lo"].transform("min")
    return (chosen.assign(first_start=first)
            .sort_values(["first_start", "person_id", "spell"], kind="stable")
            [["person_id", "name", "spell", "start_lo", "start_hi", "end_lo", "end_hi", "end_event", "status",
              "end_reason", "seen_until", "first_start"]].reset_index(drop=True))
