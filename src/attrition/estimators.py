"""Survival estimators computed from aggregates, for many groups at once.

Kaplan-Meier works on a life table (departures and censorings per group and duration), so a curve
over ten million spells costs what a GROUP BY costs, and a thousand companies are fitted in one
pass. The arithmetic is lifelines' own (log-sum estimate, exponential Greenwood band, "first time
S <= q" quantiles), and tests hold the two equal. The interval-censored fit (Turnbull's NPMLE) runs
lifelines' EM with its line search, but on unique intervals with weights and with each step done
as whole-array operations, where lifelines loops in Python over observations and intervals.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd


def z_value(alpha: float = 0.05) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2)


def kaplan_meier(life: pd.DataFrame, by: list[str] | tuple[str, ...] = (), alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier curves from a life table with columns `by`, days, events, censored.

    Returns one row per group and time (a row at day 0 included, as lifelines does) with at_risk,
    events, censored, survival and the 95% band (`lower`, `upper`).
    """
    by = list(by)
    life = life[[*by, "days", "events", "censored"]]
    keys = life[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    zero = keys.assign(days=0.0, events=0, censored=0)
    table = (pd.concat([zero, life], ignore_index=True)
             .groupby([*by, "days"], sort=True, as_index=False)[["events", "censored"]].sum())
    removed = table["events"] + table["censored"]
    grouped = removed.groupby([table[c] for c in by]) if by else removed
    total = grouped.transform("sum") if by else pd.Series(removed.sum(), index=table.index)
    before = (grouped.cumsum() if by else removed.cumsum()) - removed
    at_risk = (total - before).astype("int64")
    deaths = table["events"].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.log((at_risk - deaths).to_numpy(dtype=float)) - np.log(at_risk.to_numpy(dtype=float))
        square = deaths.to_numpy(dtype=float) / (at_risk * (at_risk - deaths)).to_numpy(dtype=float)
    square[np.isinf(square)] = 0
    log_s = pd.Series(step, index=table.index)
    var = pd.Series(square, index=table.index)
    if by:
        log_s = log_s.groupby([table[c] for c in by]).cumsum()
        var = var.groupby([table[c] for c in by]).cumsum()
    else:
        log_s, var = log_s.cumsum(), var.cumsum()
    v = log_s.to_numpy()
    z = z_value(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.exp(-np.exp(np.log(-v) - z * np.sqrt(var.to_numpy()) / v))
        upper = np.exp(-np.exp(np.log(-v) + z * np.sqrt(var.to_numpy()) / v))
    table["at_risk"] = at_risk
    table["survival"] = np.exp(v)
    table["lower"] = np.nan_to_num(lower, nan=1.0)
    table["upper"] = np.nan_to_num(upper, nan=1.0)
    return table[[*by, "days", "at_risk", "events", "censored", "survival", "lower", "upper"]]


def curve(durations, observed, weights=None, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier of individual durations (days) and left/censored flags: a one-group life table fit."""
    frame = pd.DataFrame({"days": np.asarray(durations, dtype=float), "left": np.asarray(observed, dtype=bool),
                          "w": 1 if weights is None else np.asarray(weights)})
    frame["events"] = frame["w"] * frame["left"]
    frame["censored"] = frame["w"] * ~frame["left"]
    life = frame.groupby("days", as_index=False)[["events", "censored"]].sum()
    return kaplan_meier(life, alpha=alpha)


def value_at(curves: pd.DataFrame, days: float, column: str = "survival", by: list[str] | tuple[str, ...] = ()):
    """The step function's value at `days` (last time on or before it), per group if `by` is given."""
    before = curves[curves["days"] <= days]
    if by:
        return before.groupby(list(by))[column].last()
    return float(before[column].iloc[-1])


def first_time_below(curves: pd.DataFrame, q: float = 0.5, column: str = "survival",
                     by: list[str] | tuple[str, ...] = ()):
    """First time the column drops to q or below (the median for q = 0.5); NaN/None when it never does."""
    below = curves[curves[column] <= q]
    if by:
        return below.groupby(list(by))["days"].first().reindex(curves[list(by)].drop_duplicates()
                                                                .set_index(list(by)).index)
    return float(below["days"].iloc[0]) if len(below) else None


def turnbull(lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None = None, tol: float = 1e-5,
             max_iter: int = 100_000) -> pd.DataFrame:
    """Turnbull's NPMLE for interval-censored times [lower, upper] (upper = inf: still at risk).

    Returns lifelines' survival frame: one row per distinct bound, columns `lower` and `upper`, the
    range the estimate allows at that point (it is read with steps-pre: the row at t holds S on
    (previous point, t]).
    """
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    weights = np.ones_like(lower) if weights is None else np.asarray(weights, dtype=float)
    values = np.concatenate([lower, upper])
    tags = np.concatenate([np.zeros(len(lower), int), np.ones(len(upper), int)])
    order = np.lexsort((tags, values))
    values, tags = values[order], tags[order]
    pair = (tags[:-1] == 0) & (tags[1:] == 1)
    left, right = values[:-1][pair], values[1:][pair]
    first = np.searchsorted(left, lower, "left")
    last = np.searchsorted(right, upper, "right") - 1
    p = _npmle(first, last, weights, len(left), tol, max_iter)
    return _survival_frame(p, left, right, np.unique(values))


def _npmle(first: np.ndarray, last: np.ndarray, weights: np.ndarray, n: int, tol: float, max_iter: int) -> np.ndarray:
    """lifelines' EM (self-consistency step, then a line search in log-odds), one array pass per step."""
    total = weights.sum()

    def loglik(p: np.ndarray) -> float:
        cum = np.concatenate([[0.0], np.cumsum(p)])
        return float((weights * np.log(cum[last + 1] - cum[first])).sum())

    def log_odds(p: np.ndarray) -> np.ndarray:
        return np.log(p) - np.log(1 - p)

    p = np.full(n, 1 / n)
    for _ in range(max_iter):
        cum = np.concatenate([[0.0], np.cumsum(p)])
        share = weights / (cum[last + 1] - cum[first])
        marks = np.bincount(first, share, n + 1) - np.bincount(last + 1, share, n + 1)
        new = p * (np.cumsum(marks)[:n] / total)
        new /= new.sum()
        old_ll, new_ll = loglik(p), loglik(new)
        converged = 0 <= new_ll - old_ll < tol
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = log_odds(new) - log_odds(p)
            best, best_ll = p, -np.inf
            for step in (1.0, 1.25, 1.95):
                odds = np.exp(log_odds(p) + step * delta)
                trial = odds / (odds + 1)
                trial_ll = loglik(trial)
                if best_ll < trial_ll:
                    best, best_ll = trial, trial_ll
        p = best
        if converged:
            break
    return p


def _survival_frame(p: np.ndarray, left: np.ndarray, right: np.ndarray, timeline: np.ndarray) -> pd.DataFrame:
    """The estimate at every bound, as lifelines reconstructs it (later assignments to a point win)."""
    before = 1 - np.concatenate([[0.0], np.cumsum(p)[:-1]])
    exact = left == right
    times = np.concatenate([[0.0], np.column_stack([left, right]).ravel()])
    upper = np.concatenate([[1.0], np.column_stack([before, before]).ravel()])
    lower = np.concatenate([[1.0], np.column_stack([before, before - p]).ravel()])
    keep = np.concatenate([[True], np.column_stack([np.ones_like(exact), ~exact]).ravel()])
    assigned = pd.DataFrame({"upper": upper[keep], "lower": lower[keep]}, index=times[keep])
    assigned = assigned[~assigned.index.duplicated(keep="last")]
    index = np.unique(np.concatenate([assigned.index.to_numpy(), timeline]))
    remaining = 1 - float(p.sum())
    frame = assigned.reindex(index).bfill().fillna(remaining).clip(lower=0.0)
    return frame.loc[timeline]


def turnbull_value_at(frame: pd.DataFrame, days: float) -> tuple[float, float]:
    """Range of the NPMLE survival at `days`: the first row at or after it (steps-pre)."""
    after = frame[frame.index >= days]
    row = after.iloc[0] if len(after) else frame.iloc[-1]
    return float(row.min()), float(row.max())


def turnbull_median(frame: pd.DataFrame) -> list[float | None]:
    """The NPMLE median as [lower, upper] days; None where that bound of S never reaches 0.5.

    With steps-pre rows, S first drops to 0.5 or below just after the point preceding the first
    row at or below 0.5, so that preceding point is the median.
    """
    bounds = []
    for column in sorted(frame.columns, key=lambda c: frame[c].sum()):
        below = np.flatnonzero(frame[column].to_numpy() <= 0.5)
        bounds.append(None if not len(below) else float(frame.index[max(below[0] - 1, 0)]))
    return bounds
