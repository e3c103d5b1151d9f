"""Who came back: the share of leavers who returned (rehires, boomerangs), how long they were away, and each
returner's history of spells.

A return is a later spell of the same person at the same company (a `return` in evidence.csv; a second
row of an imported roster). Returns of every length count here, including the short absences the survival
curves do not count as leaving (an interruption: back within relations.INTERRUPTION_DAYS).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from attrition.core.scope import as_of_date, as_of_day, check_scope
from attrition.core.tables import day_spells, id_lists, listed_people
from attrition.io.dataset import Dataset
from attrition.measures.rates import binomial_ci
from attrition.result import MetricResult
from attrition.text import PLURAL, days_and_years

if TYPE_CHECKING:
    import pandas as pd


def _scoped_spells(ds: Dataset, company: str, cohort: str | None, as_of: date | str | None) -> tuple[str, list]:
    """The spells at `company` (of `cohort`, if given) that had (possibly) started by `as_of`, as a query and its
    parameters, each with the end of the person's spell before (`left_lo`, `left_hi`): read by the engine, so the
    metrics below need no pandas."""
    cutoff = as_of_day(ds, as_of)
    cohort_test = " AND cohort = ?" if cohort is not None else ""
    return (f"""SELECT *, lag(end_lo) OVER w AS left_lo, lag(end_hi) OVER w AS left_hi
                FROM {day_spells(ds, cutoff, company)} WHERE company = ? AND as_of = ?{cohort_test}
                WINDOW w AS (PARTITION BY person_id ORDER BY spell)""",
            [company, cutoff, *([cohort] if cohort is not None else [])])


def _quantile(ordered: list[float], q: float) -> float:
    """The `q` quantile of sorted values, interpolated linearly between the two nearest (numpy's and pandas'
    default: the median of an even count is the mean of the middle two)."""
    position = (len(ordered) - 1) * q
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def returns(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
            group: str | None = None) -> pd.DataFrame:
    """One row per return surely begun by `as_of`: person, the spell it opens, and the time away from the end of
    the spell before (`away_lo`, `away_hi`: the range dated intervals allow; `away_mid`: date midpoints), in days."""
    from attrition.core import roster

    spells = roster.spells(ds, as_of, company, cohort).sort_values(["person_id", "spell"], kind="stable")
    before = spells.groupby("person_id")[["end_lo", "end_hi"]].shift()
    back = spells[(spells["spell"] > 1) & (spells["joined"] == "yes")].assign(
        left_lo=before["end_lo"], left_hi=before["end_hi"])
    if group is not None:
        back = back[back["group"] == group]
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
    check_scope(ds, company, cohort, (), group)
    spells, params = _scoped_spells(ds, company, cohort, as_of)
    group_test = 'WHERE "group" = ?' if group is not None else ""  # a person's latest spell: the latest in the group
    spells = f"SELECT *, spell = max(spell) OVER (PARTITION BY person_id) AS last FROM ({spells}) AS s {group_test}"
    params = [*params, *([group] if group is not None else [])]
    lists = id_lists(ds, {"returned": "back"})
    row = ds.engine.rows(f"""
        SELECT count(CASE WHEN back THEN 1 END), count(CASE WHEN back OR gone THEN 1 END),
               count(CASE WHEN back OR gone OR maybe THEN 1 END), {lists['returned']}
        FROM (SELECT person_id, bool_or(spell > 1 AND joined = 'yes') AS back,
                     bool_or(last AND status = 'departed') AS gone, bool_or(last AND status = 'uncertain') AS maybe
              FROM ({spells}) AS s GROUP BY person_id) AS people""", params)[0]
    k, n_lo, n_hi = row[:3]
    came_back = listed_people(row, lists)["returned"]
    cutoff = as_of_date(ds, as_of)
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
    check_scope(ds, company, cohort, (), group)
    spells, params = _scoped_spells(ds, company, cohort, as_of)
    group_test = ' AND "group" = ?' if group is not None else ""
    away = ds.engine.rows(f"""
        SELECT person_id, greatest(start_lo - left_hi, 0), start_hi - left_lo,
               floor((start_lo + start_hi - left_lo - left_hi) / 2)
        FROM ({spells}) AS s WHERE spell > 1 AND joined = 'yes'{group_test}""",
                          [*params, *([group] if group is not None else [])])
    cutoff = as_of_date(ds, as_of)
    who = f"{PLURAL[cohort]} of {ds.company_names[company]}" + (f" in {group}" if group else "")
    if not away:
        return MetricResult(metric="time_away", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=None,
                            hi=None, unit="days", text=f"no {who} had come back by {cutoff}")
    people, lows, highs, mids = zip(*away)
    lows, highs, mids = (sorted(map(float, days)) for days in (lows, highs, mids))
    returns_counted = len(away)
    lo, hi = _quantile(lows, 0.5), _quantile(highs, 0.5)
    span = days_and_years(lo) if lo == hi else f"{days_and_years(lo)} to {days_and_years(hi)}"
    text = (f"{PLURAL[cohort].capitalize() if cohort else 'People'} who came back to {ds.company_names[company]}"
            f"{' in ' + group if group else ''} had been away a median of {span} ({returns_counted:,} return"
            f"{'s' if returns_counted != 1 else ''}), as of {cutoff}")
    return MetricResult(metric="time_away", company=company, cohort=cohort, as_of=cutoff.isoformat(), lo=lo, hi=hi,
                        unit="days", text=text, numerator={"lo": returns_counted, "hi": returns_counted},
                        person_ids={"returned": sorted(set(people))},
                        details={"midpoint": _quantile(mids, 0.5), "quartiles": [_quantile(mids, 0.25),
                                                                                 _quantile(mids, 0.75)],
                                 "returns": returns_counted})


def histories(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None) -> pd.DataFrame:
    """Every spell of everyone who came back, in order: person, name, spell, start and end ranges, status,
    end reason, first start (to order people by)."""
    from attrition.core import roster

    spells = roster.spells(ds, as_of, company, cohort)
    back = set(returns(ds, company, cohort, as_of)["person_id"])
    chosen = spells[spells["person_id"].isin(back)]
    first = chosen.groupby("person_id")["start_lo"].transform("min")
    return (chosen.assign(first_start=first)
            .sort_values(["first_start", "person_id", "spell"], kind="stable")
            [["person_id", "name", "spell", "start_lo", "start_hi", "end_lo", "end_hi", "end_event", "status",
              "end_reason", "seen_until", "first_start"]].reset_index(drop=True))
