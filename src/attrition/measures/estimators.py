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

from attrition.precision import snap


def z_value(alpha: float = 0.05) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2)


def all_alike_bound(n: pd.Series | float, alpha: float = 0.05):
    """The exact (Clopper-Pearson) two-sided bound for a share where all `n` people followed went the same way
    (none gone, or all gone): that share is at least this. Kaplan-Meier's own band has no width there."""
    return (alpha / 2) ** (1 / n)


def kaplan_meier(life: pd.DataFrame, by: list[str] | tuple[str, ...] = (), alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier curves from a life table with columns `by`, days, events, censored (and `entered`).

    Returns one row per group and time (a row at day 0 included, as lifelines does) with at_risk,
    entered, events, censored, survival and the 95% band (`lower`, `upper`). Sums of logs run in time order
    within each group, as lifelines accumulates them, so medians that fall exactly on one half land on
    the same day. pandas' grouped sum compensates its rounding (Kahan) where lifelines' does not: a value
    can differ from lifelines' in its last bits (by 4e-18 at most on 200,000 random durations), far below
    the nine decimals every fitted value is rounded to (`precision.snap`).

    With an `entered` column (people entering the risk set at each time: delayed entry, or left
    truncation), the number at risk at t is everyone who entered before t less everyone gone before t:
    someone entering on the day of a departure is not yet at risk for it, except at the table's first
    time. That is lifelines' rule with `entry=` (its issue 497), which tests hold us to. Without the
    column, everyone enters at day 0.
    """
    by = list(by)
    group, labels = _group_codes(life, by)
    days = life["days"].to_numpy(dtype=float)
    events = life["events"].to_numpy(dtype=np.int64)
    censored = life["censored"].to_numpy(dtype=np.int64)
    entered = life["entered"].to_numpy(dtype=np.int64) if "entered" in life else None
    if len(group) > 1 and not np.all((group[1:] > group[:-1]) | ((group[1:] == group[:-1]) & (days[1:] > days[:-1]))):
        order = np.lexsort((days, group))
        group, days, events, censored = group[order], days[order], events[order], censored[order]
        entered = None if entered is None else entered[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.array([], dtype=np.int64)
    first_time = np.repeat(days[starts], np.diff(np.r_[starts, len(group)]))
    need_zero = starts[days[starts] != 0]
    g = np.insert(group, need_zero, group[need_zero])
    days_before, days = days, np.insert(days, need_zero, 0.0)
    events = np.insert(events, need_zero, 0)
    censored = np.insert(censored, need_zero, 0)
    n_groups = int(g.max()) + 1 if len(g) else 0
    removed = events + censored
    start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    within = lambda running: running - np.repeat(np.r_[0, running[start[1:] - 1]], np.diff(np.r_[start, len(g)]))
    gone_before = within(np.cumsum(removed)) - removed
    if entered is None:
        entered = np.where(days == 0, np.bincount(g, removed, n_groups).astype(np.int64)[g], 0)
        at_risk = within(np.cumsum(entered)) - gone_before
    else:
        entered = np.insert(entered, need_zero, 0)
        late = np.insert(days_before > first_time, need_zero, False)  # entering after the table's first time
        at_risk = within(np.cumsum(entered)) - gone_before - np.where(late, entered, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(events > 0, np.log((at_risk - events).astype(float)) - np.log(at_risk.astype(float)), 0.0)
        square = np.where((events > 0) & (at_risk > events), events / (at_risk * (at_risk - events)).astype(float), 0.0)
    codes = pd.Series(g)
    log_s = pd.Series(step).groupby(codes, sort=False).cumsum().to_numpy()
    var = pd.Series(square).groupby(codes, sort=False).cumsum().to_numpy()
    z = z_value(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.exp(-np.exp(np.log(-log_s) - z * np.sqrt(var) / log_s))
        upper = np.exp(-np.exp(np.log(-log_s) + z * np.sqrt(var) / log_s))
    columns = {name: pd.Categorical.from_codes(codes[g], values) for name, (codes, values) in labels.items()}
    return pd.DataFrame({**columns, "days": days, "at_risk": at_risk, "entered": entered,
                         "events": events, "censored": censored, "survival": snap(np.exp(log_s)),
                         "lower": snap(np.nan_to_num(lower, nan=1.0)), "upper": snap(np.nan_to_num(upper, nan=1.0))})


def _group_codes(life: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """An integer group code per row (in the groups' sorted order), and per key column: its code per group, values."""
    if not by:
        return np.zeros(len(life), dtype=np.int64), {}
    codes = np.zeros(len(life), dtype=np.int64)
    factors = [(life[name].cat.codes.to_numpy(), life[name].cat.categories) if isinstance(life[name].dtype, pd.CategoricalDtype)
               else pd.factorize(life[name], sort=True) for name in by]
    for column_codes, uniques in factors:
        codes = codes * len(uniques) + column_codes
    if len(codes) and np.all(codes[1:] >= codes[:-1]):
        change = np.r_[True, codes[1:] != codes[:-1]]
        present, dense = codes[change], np.cumsum(change) - 1
    else:
        present, dense = np.unique(codes, return_inverse=True)
    dense = dense.astype(np.int64)
    labels, rest = {}, present
    for name, (_, uniques) in reversed(list(zip(by, factors))):
        labels[name] = (rest % len(uniques), np.asarray(uniques))
        rest = rest // len(uniques)
    return dense, {name: labels[name] for name in by}


def curve(durations, observed, weights=None, alpha: float = 0.05, entry=None) -> pd.DataFrame:
    """Kaplan-Meier of individual durations (days) and left/censored flags: a one-group life table fit.

    `entry` (days, optional) is when each person entered the risk set (delayed entry); a person who
    entered after they left was never seen at risk and is left out, as in the life tables."""
    durations = np.asarray(durations, dtype=float)
    entry = np.zeros_like(durations) if entry is None else np.asarray(entry, dtype=float)
    frame = pd.DataFrame({"days": durations, "left": np.asarray(observed, dtype=bool),
                          "w": 1 if weights is None else np.asarray(weights), "entry": entry})
    frame = frame[frame["entry"] <= frame["days"]]
    frame["events"] = frame["w"] * frame["left"]
    frame["censored"] = frame["w"] * ~frame["left"]
    life = frame.groupby("days")[["events", "censored"]].sum()
    entered = frame.groupby("entry")["w"].sum().rename("entered")
    life = life.join(entered, how="outer").fillna(0).astype("int64").rename_axis("days").reset_index()
    return kaplan_meier(life, alpha=alpha)


def value_at(curves: pd.DataFrame, days: float, column: str = "survival", by: list[str] | tuple[str, ...] = ()):
    """The step function's value at `days` (last time on or before it), per group if `by` is given."""
    before = curves[curves["days"] <= days]
    if by:
        return before.groupby(list(by), observed=True)[column].last()
    return float(before[column].iloc[-1])


def first_time_below(curves: pd.DataFrame, q: float = 0.5, column: str = "survival",
                     by: list[str] | tuple[str, ...] = ()):
    """First time the column drops to q or below (the median for q = 0.5); NaN/None when it never does."""
    below = curves[curves[column] <= q]
    if by:
        groups = curves[list(by)].drop_duplicates().set_index(list(by)).index
        return below.groupby(list(by), observed=True)["days"].first().reindex(groups)
    return float(below["days"].iloc[0]) if len(below) else None


def turnbull(lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None = None, tol: float = 1e-5,
             max_iter: int = 100_000) -> pd.DataFrame:
    """Turnbull's NPMLE for interval-censored times [lower, upper] (upper = inf: still at risk).

    Returns lifelines' survival frame: one row per distinct bound, columns `lower` and `upper`, the
    range the estimate allows at that point (it is read with steps-pre: the row at t holds S on
    (previous point, t]). The EM stops where lifelines' does (a log-likelihood gain below `tol`), and its
    answer is snapped to attrition.precision's decimals, so the last bits of a CPU's log and exp never show.
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
    return snap(_survival_frame(p, left, right, np.unique(values)))


def _npmle(first: np.ndarray, last: np.ndarray, weights: np.ndarray, n: int, tol: float, max_iter: int) -> np.ndarray:
    """lifelines' EM (self-consistency step, then a line search in log-odds), one array pass per step."""
    total = weights.sum()

    def loglik(p: np.ndarray) -> float:
        cum = np.concatenate([[0.0], np.cumsum(p)])
        return float((weights * np.log(cum[last + 1] - cum[first])).sum())

    def log_odds(p: np.ndarray) -> np.ndarray:
        return np.log(p) - np.log(1 - p)

    p = np.full(n, 1 / n)
    p_ll = loglik(p)  # kept from step to step: p only changes to a trial whose log-likelihood is known
    for _ in range(max_iter):
        cum = np.concatenate([[0.0], np.cumsum(p)])
        share = weights / (cum[last + 1] - cum[first])
        marks = np.bincount(first, share, n + 1) - np.bincount(last + 1, share, n + 1)
        new = p * (np.cumsum(marks)[:n] / total)
        new /= new.sum()
        new_ll = loglik(new)
        converged = 0 <= new_ll - p_ll < tol
        with np.errstate(divide="ignore", invalid="ignore"):
            p_odds = log_odds(p)
            delta = log_odds(new) - p_odds
            best, best_ll = p, -np.inf
            for step in (1.0, 1.25, 1.95):
                odds = np.exp(p_odds + step * delta)
                trial = odds / (odds + 1)
                trial_ll = loglik(trial)
                if best_ll < trial_ll:
                    best, best_ll = trial, trial_ll
        if best is not p:
            p, p_ll = best, best_ll
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


def aalen_johansen(days, cause, alpha: float = 0.05, entry=None) -> pd.DataFrame:
    """Cumulative incidence of each cause of leaving (Aalen-Johansen), with 95% bands, from individual
    durations (days) and a cause per person ("" or None: still there, censored).

    Ties are kept, never broken by chance: every departure on the same day counts on that day, whatever
    its cause, and anyone censored that day is still at risk for it (the Kaplan-Meier convention). On
    untied data this equals lifelines' AalenJohansenFitter, which instead jitters tied days at random,
    so its curves change from run to run. The variance is the delta-method formula lifelines uses
    (Collett, Modelling Survival Data in Medical Research, 3rd ed., p. 411), accumulated with prefix
    sums; the band is taken on the log(-log) scale so it stays inside [0, 1].

    `entry` (days, optional) is when each person entered the risk set (delayed entry): at risk at t is
    everyone who entered before t (or at the first time) less everyone gone before t, the rule of
    `kaplan_meier`; a person who entered after they left is left out.

    Returns one row per cause and event day (a day-0 row first): at_risk, events (all causes),
    cause_events, survival (no departure of any cause), incidence, variance, lower, upper.
    """
    days = np.asarray(days, dtype=float)
    cause = pd.Series(cause, dtype=object).fillna("").astype(str).to_numpy()
    entry = np.zeros_like(days) if entry is None else np.asarray(entry, dtype=float)
    seen = entry <= days
    days, cause, entry = days[seen], cause[seen], np.sort(entry[seen])
    times, index = np.unique(days, return_inverse=True)
    left = cause != ""
    causes = sorted(set(cause[left]))
    removed = np.bincount(index, minlength=len(times))
    events = np.bincount(index, left, len(times)).astype(np.int64)
    first = min(entry[0], times[0]) if len(times) else 0.0  # entrants at the first time are at risk then
    entered = np.searchsorted(entry, times, "left")
    entered += np.where(times == first, np.searchsorted(entry, times, "right") - entered, 0)
    at_risk = entered - np.r_[0, np.cumsum(removed)[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1 - events / at_risk)
        greenwood = np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0)
    lag = np.r_[1.0, survival[:-1]]
    keep = events > 0
    z = z_value(alpha)
    frames = []
    for k in causes:  # one pass per cause of leaving (a handful), each over whole arrays
        d = np.bincount(index, cause == k, len(times)).astype(np.int64)
        f = np.cumsum(lag * d / at_risk)
        # sum_i a_i (F - F_i)^2 + sum_i b_i - 2 sum_i c_i (F - F_i), each sum a prefix sum over i <= t
        a, b, c = greenwood, lag ** 2 * d * (at_risk - d) / at_risk.astype(float) ** 3, lag * d / at_risk.astype(float) ** 2
        a_sum, af, af2 = np.cumsum(a), np.cumsum(a * f), np.cumsum(a * f * f)
        variance = (f * f * a_sum - 2 * f * af + af2) + np.cumsum(b) - 2 * (f * np.cumsum(c) - np.cumsum(c * f))
        variance = np.maximum(variance, 0.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            se = np.sqrt(variance) / (f * np.abs(np.log(f)))
            lower = np.exp(-np.exp(np.log(-np.log(f)) + z * se))
            upper = np.exp(-np.exp(np.log(-np.log(f)) - z * se))
        frames.append(pd.DataFrame({
            "cause": k, "days": np.r_[0.0, times[keep]], "at_risk": np.r_[int((entry <= 0).sum()), at_risk[keep]],
            "events": np.r_[0, events[keep]], "cause_events": np.r_[0, d[keep]],
            "survival": np.r_[1.0, survival[keep]], "incidence": np.r_[0.0, f[keep]],
            "variance": np.r_[0.0, variance[keep]],
            "lower": np.r_[0.0, np.nan_to_num(lower[keep], nan=0.0)],
            "upper": np.r_[0.0, np.where(np.isnan(upper[keep]), np.where(f[keep] >= 1, 1.0, 0.0), upper[keep])]}))
    columns = ["cause", "days", "at_risk", "events", "cause_events", "survival", "incidence", "variance", "lower", "upper"]
    return snap(pd.concat(frames, ignore_index=True)) if frames else pd.DataFrame(columns=columns)
