"""Roster metrics as ranges: what the sourced data says on a given day, and how sure it can be.

Where a date is only known as an interval that straddles the as-of day, a person may or may not be
counted, so every metric returns `lo` and `hi` bounds together with the people behind them. The
CLI, the notebooks and the claims ledger all call these same functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from attrition.dataset import Dataset
from attrition.result import MetricError, MetricResult
from attrition.roster import as_of_timestamp, latest_spells, spells
from attrition.tables import check_scope
from attrition.text import PLURAL, range_text


def cohort_spells(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                  exclude: Iterable[str] = (), group: str | None = None) -> pd.DataFrame:
    """Each person's most recent spell at `company` that had (possibly) started by `as_of`, by person."""
    excluded = check_scope(ds, company, cohort, exclude, group)
    return latest_spells(ds, as_of, company, cohort, excluded, group)


def _ids(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["person_id"])


def _status_masks(table: pd.DataFrame, cutoff: pd.Timestamp) -> dict[str, np.ndarray]:
    """Which rows of a table of latest spells are surely gone, maybe gone, surely there, or not surely
    joined by `cutoff`; `late`: not surely joined, yet surely or maybe gone by then."""
    sure = (table["joined"] == "yes").to_numpy()
    status = table["status"].to_numpy()
    return {"departed": sure & (status == "departed"), "uncertain": sure & (status == "uncertain"),
            "active": sure & (status == "active"), "join_uncertain": ~sure,
            "late": ~sure & (table["end_lo"] <= cutoff).to_numpy()}


def departed_share(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                   exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Share of a cohort that had left by `as_of` (a step back counts as leaving)."""
    return _departed(ds, company, cohort, as_of, exclude, group, share=True)


def departed_count(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                   exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Number of a cohort who had left by `as_of` (a step back counts as leaving)."""
    return _departed(ds, company, cohort, as_of, exclude, group, share=False)


def departure_bounds(table: pd.DataFrame, cutoff: pd.Timestamp, by: list[str]) -> pd.DataFrame:
    """Per group of `table` (latest spells as of `cutoff`): who had left for sure (`num_lo`), who may
    have (`num_hi`), how many count (`den_lo`, `den_hi`: a person whose joining straddles the day may
    not count) and the share's bounds, all at once, so any number of groups costs one GROUP BY.

    A person whose joining straddles the day but who left for sure by then counts in the upper bound
    and, when they do, in its denominator.
    """
    m = _status_masks(table, cutoff)
    flags = table[by].assign(people=1, departed=m["departed"], maybe=m["uncertain"] | m["late"],
                             join_uncertain=m["join_uncertain"], late=m["late"])
    g = flags.groupby(by, sort=True, observed=True)[["people", "departed", "maybe", "join_uncertain", "late"]].sum()
    g = g.astype("int64")
    out = pd.DataFrame({"num_lo": g["departed"], "num_hi": g["departed"] + g["maybe"],
                        "den_lo": g["people"] - g["join_uncertain"], "den_hi": g["people"]})
    out["share_lo"] = out["num_lo"] / out["den_hi"].where(out["den_hi"] > 0)
    widest = out["den_lo"] + g["late"]
    out["share_hi"] = (out["num_hi"] / widest.where(widest > 0)).fillna(out["share_lo"])
    return out.reset_index()


def _departed(ds: Dataset, company: str, cohort: str | None, as_of, exclude, group, share: bool) -> MetricResult:
    table = cohort_spells(ds, company, cohort, as_of, exclude, group)
    cutoff = as_of_timestamp(ds, as_of)
    ids, m = table["person_id"].to_numpy(), _status_masks(table, cutoff)
    bounds = departure_bounds(table.assign(_all=0), cutoff, ["_all"])
    counts = bounds.iloc[0] if len(bounds) else pd.Series(0, index=["num_lo", "num_hi", "den_lo", "den_hi"])
    num_lo, num_hi, den_lo, den_hi = (int(counts[k]) for k in ("num_lo", "num_hi", "den_lo", "den_hi"))
    noun = PLURAL[cohort] + (f" in {group}" if group else "")
    if share:
        if den_hi == 0:
            raise MetricError(f"no {noun} of {company} had joined by {cutoff.date()}: the share is undefined")
        lo, hi = float(counts["share_lo"]), float(counts["share_hi"])
        den_text = range_text(den_lo, den_hi)
        text = (f"{range_text(num_lo, num_hi)} of {den_text} {noun} departed "
                f"({range_text(lo * 100, hi * 100, '{:.1f}%')}) as of {cutoff.date()}")
    else:
        lo, hi = num_lo, num_hi
        text = f"{range_text(num_lo, num_hi)} {noun} departed as of {cutoff.date()} (of {range_text(den_lo, den_hi)} counted)"
    return MetricResult(
        metric="departed_share" if share else "departed_count",
        company=company, cohort=cohort, as_of=cutoff.date().isoformat(),
        lo=float(lo) if share else int(lo), hi=float(hi) if share else int(hi),
        unit="share" if share else "people", text=text,
        numerator={"lo": num_lo, "hi": num_hi}, denominator={"lo": den_lo, "hi": den_hi},
        person_ids={
            "counted": sorted(ids),
            "departed": sorted(ids[m["departed"]]),
            "uncertain": sorted(ids[m["uncertain"] | m["late"]]),
            "join_uncertain": sorted(ids[m["join_uncertain"]]),
        },
        excluded=sorted(set(exclude)),
    )


def remaining_count(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
                    exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Number of a cohort still at the company on `as_of`."""
    table = cohort_spells(ds, company, cohort, as_of, exclude, group)
    cutoff = as_of_timestamp(ds, as_of)
    ids, m = table["person_id"].to_numpy(), _status_masks(table, cutoff)
    maybe_here = m["join_uncertain"] & ~(table["end_hi"] <= cutoff).to_numpy()
    lo, hi = int(m["active"].sum()), int((m["active"] | m["uncertain"] | maybe_here).sum())
    text = f"{range_text(lo, hi)} {PLURAL[cohort]}{f' in group {group}' if group else ''} remaining at {ds.company_names[company]} as of {cutoff.date()}"
    return MetricResult(
        metric="remaining_count", company=company, cohort=cohort, as_of=cutoff.date().isoformat(),
        lo=lo, hi=hi, unit="people", text=text,
        person_ids={"remaining": sorted(ids[m["active"]]), "uncertain": sorted(ids[m["uncertain"] | maybe_here])},
        excluded=sorted(set(exclude)),
    )


def headcount(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None,
              exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Named people at the company on `as_of`, all cohorts unless one is given (roster only)."""
    result = remaining_count(ds, company, cohort, as_of, exclude, group)
    text = result.text.replace("remaining at", "on the named roster of")
    return MetricResult(**{**result.to_dict(), "metric": "headcount", "text": text})


def departures_between(ds: Dataset, company: str, start: date | str, end: date | str, cohort: str | None = None,
                       exclude: Iterable[str] = (), group: str | None = None) -> MetricResult:
    """Departures whose date falls in [start, end], both days included.

    `lo` counts departures whose whole date interval lies inside the window; `hi` adds those whose
    interval only overlaps it.
    """
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if last < first:
        raise MetricError(f"--end {last.date()} is before --start {first.date()}")
    excluded = check_scope(ds, company, cohort, exclude, group)
    table = spells(ds, last, company, cohort, excluded, group)
    gone = table[table["end_lo"].notna()]
    inside = gone[(gone["end_lo"] >= first) & (gone["end_hi"] <= last)]
    overlap = gone[(gone["end_hi"] >= first) & (gone["end_lo"] <= last)]
    partial = overlap[~overlap.index.isin(inside.index)]
    lo, hi = len(inside), len(overlap)
    noun = f"{cohort} departure" if cohort else "departure"
    noun = noun if hi == 1 else noun + "s"
    text = f"{range_text(lo, hi)} {noun} at {ds.company_names[company]} between {first.date()} and {last.date()}"
    return MetricResult(
        metric="departures_between", company=company, cohort=cohort, as_of=last.date().isoformat(),
        lo=lo, hi=hi, unit="departures", text=text,
        window={"start": first.date().isoformat(), "end": last.date().isoformat()},
        person_ids={"departed": _ids(inside), "uncertain": _ids(partial)},
        excluded=excluded,
    )


def departed_share_series(ds: Dataset, company: str, cohort: str | None = None, exclude: Iterable[str] = (),
                          start: date | str | None = None, end: date | str | None = None) -> pd.DataFrame:
    """departed_share lo/hi from `start` (default: first join) to `end` (default: freeze date).

    One row per day on which the value can change (a date bound of someone in the cohort), to be
    drawn as a step function; the last row is `end`. Each day's value follows departed_share's
    rules exactly, computed for all days at once.
    """
    excluded = check_scope(ds, company, cohort, exclude)
    latest = cohort_spells(ds, company, cohort, end, excluded)
    first, last = pd.Timestamp(start) if start is not None else latest["start_hi"].min(), as_of_timestamp(ds, end)
    bounds = pd.concat([latest[c] for c in ("start_lo", "start_hi", "end_lo", "end_hi")]).dropna()
    days = np.array(sorted({first, last, *bounds[(bounds > first) & (bounds < last)]}), dtype="datetime64[ns]")
    every = spells(ds, end, company, cohort, excluded).sort_values(["person_id", "spell"])
    next_start = every.groupby("person_id")["start_lo"].shift(-1).fillna(pd.Timestamp.max)
    col = lambda name: every[name].to_numpy("datetime64[ns]")[:, None]
    d = days[None, :]
    current = (col("start_lo") <= d) & (d < next_start.to_numpy("datetime64[ns]")[:, None])
    joined = current & (col("start_hi") <= d)
    ended = ~np.isnat(col("end_lo"))
    gone = joined & ended & (col("end_hi") <= d)
    straddling = joined & ended & (col("end_lo") <= d) & ~(col("end_hi") <= d)
    late = current & ~joined
    gone_late = late & ended & (col("end_lo") <= d)
    num_lo, num_hi = gone.sum(0), gone.sum(0) + straddling.sum(0) + gone_late.sum(0)
    den_hi = current.sum(0)
    den_lo = den_hi - late.sum(0)
    if (den_hi == 0).any():
        raise MetricError(f"no {PLURAL[cohort]} of {company} had joined by {pd.Timestamp(days[den_hi == 0][0]).date()}")
    lo = num_lo / den_hi
    widest = den_lo + gone_late.sum(0)
    hi = np.where(widest > 0, num_hi / np.maximum(widest, 1), lo)
    return pd.DataFrame({"date": pd.to_datetime(days), "lo": lo, "hi": hi})
