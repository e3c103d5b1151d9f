"""Who came back: the share of leavers who returned (rehires, boomerangs), how long they were away, and each
returner's history of spells.

A return is a later spell of the same person at the same company (a `return` in evidence.csv; a second
row of an imported roster). Returns of every length count here, including the short absences the survival
curves do not count as leaving (an interruption: back within relations.INTERRUPTION_DAYS).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from attrition.core import roster
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures.rates import binomial_ci
from attrition.result import MetricResult
from attrition.text import PLURAL, days_and_years


def returns(ds: Dataset, scope: Scope) -> pd.DataFrame:
    """One row per return in the scope surely begun by its day: person, the spell it opens, and the time away from
    the end of the spell before (`away_lo`, `away_hi`: the range dated intervals allow; `away_mid`: date midpoints),
    in days. The scope's group is the returning spell's: the spell before may have been in another."""
    spells = roster.spells(ds, replace(scope, group=None)).sort_values(["person_id", "spell"], kind="stable")
    before = spells.groupby("person_id")[["end_lo", "end_hi"]].shift()
    returned = (spells["spell"] > 1) & (spells["joined"] == "yes")
    # the returns' rows of the ends: a whole column assigned to an empty frame would bring its index, a row per spell
    back = spells[returned].assign(left_lo=before.loc[returned, "end_lo"], left_hi=before.loc[returned, "end_hi"])
    if scope.group is not None:
        back = back[back["group"] == scope.group]
    days = lambda delta: delta.dt.days.astype("float64")
    mid = lambda lo, hi: lo + (hi - lo) / 2
    return back.assign(away_lo=days(back["start_lo"] - back["left_hi"]).clip(lower=0),
                       away_hi=days(back["start_hi"] - back["left_lo"]),
                       away_mid=days(mid(back["start_lo"], back["start_hi"]) - mid(back["left_lo"], back["left_hi"])))[
        ["person_id", "name", "company", "group", "spell", "left_lo", "left_hi", "start_lo", "start_hi",
         "away_lo", "away_hi", "away_mid"]].reset_index(drop=True)


def rehire_rate(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                group: str | None = None) -> MetricResult:
    """The share of people who left and later came back to the same company (rehires), of everyone who left:
    a range where a departure is not sure by `as_of`, with an exact 95% interval in details."""
    scope = Scope.of(ds, company, cohort, as_of, group=group)
    spells = roster.spells(ds, scope)
    latest = spells.groupby("person_id")["spell"].transform("max") == spells["spell"]
    came_back = set(spells.loc[(spells["spell"] > 1) & (spells["joined"] == "yes"), "person_id"])
    surely = came_back | set(spells.loc[latest & (spells["status"] == "departed"), "person_id"])
    maybe = set(spells.loc[latest & (spells["status"] == "uncertain"), "person_id"]) - surely
    k, n_lo, n_hi = len(came_back), len(surely), len(surely) + len(maybe)
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
                        person_ids={"returned": sorted(came_back)}, details={"ci_lower": ci[0], "ci_upper": ci[1]})


def time_away(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
              group: str | None = None) -> MetricResult:
    """How long people who came back had been away: the median time from leaving to returning, as the range
    dated intervals allow (the midpoint median and the quartiles in details)."""
    scope = Scope.of(ds, company, cohort, as_of, group=group)
    table = returns(ds, scope)
    cutoff = scope.date
    who = f"{PLURAL[cohort]} of {ds.company_names[company]}" + (f" in {group}" if group else "")
    if table.empty:
        return MetricResult(metric="time_away", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=None,
                            hi=None, unit="days", text=f"no {who} had come back by {cutoff}")
    lo, hi = float(np.median(table["away_lo"])), float(np.median(table["away_hi"]))
    mid = table["away_mid"]
    span = days_and_years(lo) if lo == hi else f"{days_and_years(lo)} to {days_and_years(hi)}"
    text = (f"{PLURAL[cohort].capitalize() if cohort else 'People'} who came back to {ds.company_names[company]}"
            f"{' in ' + group if group else ''} had been away a median of {span} ({len(table):,} return"
            f"{'s' if len(table) != 1 else ''}), as of {cutoff}")
    return MetricResult(metric="time_away", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=lo, hi=hi,
                        unit="days", text=text, numerator={"lo": len(table), "hi": len(table)},
                        person_ids={"returned": sorted(set(table["person_id"]))},
                        details={"midpoint": float(mid.median()), "quartiles": [float(mid.quantile(0.25)),
                                                                                 float(mid.quantile(0.75))],
                                 "returns": len(table)})


def histories(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None) -> pd.DataFrame:
    """Every spell of everyone who came back, in order: person, name, spell, start and end ranges, status,
    end reason, first start (to order people by)."""
    scope = Scope.of(ds, company, cohort, as_of)
    spells = roster.spells(ds, scope)
    back = set(returns(ds, scope)["person_id"])
    chosen = spells[spells["person_id"].isin(back)]
    first = chosen.groupby("person_id")["start_lo"].transform("min")
    return (chosen.assign(first_start=first)
            .sort_values(["first_start", "person_id", "spell"], kind="stable")
            [["person_id", "name", "spell", "start_lo", "start_hi", "end_lo", "end_hi", "end_event", "status",
              "end_reason", "seen_until", "first_start"]].reset_index(drop=True))
