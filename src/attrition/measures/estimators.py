"""Survival estimators computed from aggregates, for many groups at once.

Kaplan-Meier works on a life table (departures and censorings per group and duration), so a curve
over ten million spells costs what a GROUP BY costs, and a thousand companies are fitted in one
pass. The arithmetic is lifelines' own (log-sum estimate, exponential Greenwood band, "first time
S <= q" quantiles), and tests hold the two equal. The interval-censored fit (Turnbull's NPMLE) runs
lifelines' EM with its line search, but on unique intervals with weights and with each step done
as whole-array operations, where lifelines loops in Python over observations and intervals.

The fits and their readers work on columns of numbers (numpy arrays, `Columns`), so a metric that only reads a
fit never loads pandas, a third of a small command's time. `kaplan_meier`, `curve`, `turnbull` and
`aalen_johansen` give the same fits as pandas frames, for the measures and charts that work on frames, and load
pandas when called.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from attrition.precision import snap

if TYPE_CHECKING:
    import pandas as pd

Columns = dict[str, np.ndarray]
"""A fit or a table as columns by name, each a numpy array with one value per row."""


def z_value(alpha: float = 0.05) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2)


def all_alike_bound(n, alpha: float = 0.05):
    """The exact (Clopper-Pearson) two-sided bound for a share where all `n` people followed went the same way
    (none gone, or all gone): that share is at least this. Kaplan-Meier's own band has no width there."""
    return (alpha / 2) ** (1 / n)


def fit(group: np.ndarray, days: np.ndarray, events: np.ndarray, censored: np.ndarray,
        entered: np.ndarray | None = None, alpha: float = 0.05) -> Columns:
    """Kaplan-Meier curves from a life table: per row, a group code (whole numbers; any number of groups), a
    duration in days, departures (`events`), censorings and, optionally, entries into the risk set.

    Returns one row per group and time, sorted by group then time (a row at day 0 included, as lifelines does):
    group, days, at_risk, entered, events, censored, survival and the 95% band (`lower`, `upper`). Sums of logs
    run from zero in time order within each group, as lifelines' `np.cumsum` runs them, so the values are
    lifelines' own and medians that fall exactly on one half land on the same day.

    With `entered` (people entering the risk set at each time: delayed entry, or left truncation), the number at
    risk at t is everyone who entered before t less everyone gone before t: someone entering on the day of a
    departure is not yet at risk for it, except at the group's first time. That is lifelines' rule with `entry=`
    (its issue 497), which tests hold us to. Without it, everyone enters at day 0.
    """
    group = np.asarray(group, dtype=np.int64)
    days = np.asarray(days, dtype=float)
    events, censored = np.asarray(events, dtype=np.int64), np.asarray(censored, dtype=np.int64)
    entered = None if entered is None else np.asarray(entered, dtype=np.int64)
    if not len(group):  # no one in the table: no curve
        whole, real = np.zeros(0, dtype=np.int64), np.zeros(0)
        return {"group": whole, "days": real, "at_risk": whole, "entered": whole, "events": whole, "censored": whole,
                "survival": real, "lower": real, "upper": real}
    if len(group) > 1 and not np.all((group[1:] > group[:-1]) | ((group[1:] == group[:-1]) & (days[1:] > days[:-1]))):
        order = np.lexsort((days, group))
        group, days, events, censored = group[order], days[order], events[order], censored[order]
        entered = None if entered is None else entered[order]
    starts = run_starts(group)
    first_time = np.repeat(days[starts], np.diff(np.r_[starts, len(group)]))
    need_zero = starts[days[starts] != 0]
    g = np.insert(group, need_zero, group[need_zero])
    days_before, days = days, np.insert(days, need_zero, 0.0)
    events = np.insert(events, need_zero, 0)
    censored = np.insert(censored, need_zero, 0)
    removed = events + censored
    start = run_starts(g)
    runs = np.diff(np.r_[start, len(g)])
    within = lambda running: running - np.repeat(np.r_[0, running[start[1:] - 1]], runs)  # exact: whole numbers
    gone_before = within(np.cumsum(removed)) - removed
    if entered is None:
        entered = np.where(days == 0, np.repeat(np.add.reduceat(removed, start), runs), 0)
        at_risk = within(np.cumsum(entered)) - gone_before
    else:
        entered = np.insert(entered, need_zero, 0)
        late = np.insert(days_before > first_time, need_zero, False)  # entering after the group's first time
        at_risk = within(np.cumsum(entered)) - gone_before - np.where(late, entered, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(events > 0, np.log((at_risk - events).astype(float)) - np.log(at_risk.astype(float)), 0.0)
        square = np.where((events > 0) & (at_risk > events), events / (at_risk * (at_risk - events)).astype(float), 0.0)
    log_s, var = _running_sum(step, start), _running_sum(square, start)
    z = z_value(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.exp(-np.exp(np.log(-log_s) - z * np.sqrt(var) / log_s))
        upper = np.exp(-np.exp(np.log(-log_s) + z * np.sqrt(var) / log_s))
    return {"group": g, "days": days, "at_risk": at_risk, "entered": entered, "events": events, "censored": censored,
            "survival": snap(np.exp(log_s)), "lower": snap(np.nan_to_num(lower, nan=1.0)),
            "upper": snap(np.nan_to_num(upper, nan=1.0))}


def run_starts(values: np.ndarray) -> np.ndarray:
    """The first row of each run of equal values (in a sorted array: np.unique's `return_index`, without the masked
    arrays np.unique loads, a tenth of a small command's time)."""
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else np.zeros(0, dtype=np.int64)


def _running_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Running sums that start again from zero at each of `starts`, each exactly what `np.cumsum` gives on its
    run alone. Runs of about the same length (within a factor of two) are stacked as the rows of one matrix,
    padded with zeros, and summed along it: a few matrices, however many groups."""
    lengths = np.diff(np.r_[starts, len(values)])
    out = np.empty(len(values), dtype=float)
    scale = np.ceil(np.log2(np.maximum(lengths, 1))).astype(np.int64)
    for size in np.flatnonzero(np.bincount(scale)):
        runs = np.flatnonzero(scale == size)
        offsets = np.arange(int(lengths[runs].max()))
        cells = starts[runs][:, None] + offsets
        inside = offsets < lengths[runs][:, None]
        stacked = np.where(inside, values[np.where(inside, cells, 0)], 0.0)
        out[cells[inside]] = np.cumsum(stacked, axis=1)[inside]
    return out


def first_below(curves: Columns, q: float = 0.5, column: str = "survival", codes: int | None = None) -> np.ndarray:
    """Per group code of a `fit` (0 to `codes` - 1; by default to the largest with a curve): the first time its
    column drops to q or below (the median for q = 0.5); NaN where it never does, or where the code has no curve."""
    group, rows = curves["group"], np.flatnonzero(curves[column] <= q)
    out = np.full(_codes(group, codes), np.nan)
    first = rows[run_starts(group[rows])]  # rows run by group, then time
    out[group[first]] = curves["days"][first]
    return out


def value_on(curves: Columns, days: float, column: str = "survival", codes: int | None = None) -> np.ndarray:
    """Per group code of a `fit` (0 to `codes` - 1; by default to the largest with a curve): the step function's
    value at `days` (its last time on or before it); NaN for a code with no curve."""
    group, rows = curves["group"], np.flatnonzero(curves["days"] <= days)
    out = np.full(_codes(group, codes), np.nan)
    last = rows[np.r_[group[rows][1:] != group[rows][:-1], True]] if len(rows) else rows
    out[group[last]] = curves[column][last]
    return out


def _codes(group: np.ndarray, codes: int | None) -> int:
    """How many group codes a reader answers for: those asked, or up to the largest with a curve."""
    return codes if codes is not None else int(group.max()) + 1 if len(group) else 0


def kaplan_meier(life: pd.DataFrame, by: list[str] | tuple[str, ...] = (), alpha: float = 0.05) -> pd.DataFrame:
    """`fit` of a life table frame with columns `by`, days, events, censored (and `entered`): one curve per group
    of `by`, each row with its group's values (as Categoricals) in place of the code."""
    import pandas as pd

    group, labels = _group_codes(life, list(by))
    curves = fit(group, life["days"].to_numpy(dtype=float), life["events"].to_numpy(dtype=np.int64),
                 life["censored"].to_numpy(dtype=np.int64),
                 life["entered"].to_numpy(dtype=np.int64) if "entered" in life else None, alpha)
    g = curves.pop("group")
    columns = {name: pd.Categorical.from_codes(codes[g], values) for name, (codes, values) in labels.items()}
    return pd.DataFrame({**columns, **curves})


def _group_codes(life: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """An integer group code per row (in the groups' sorted order), and per key column: its code per group, values."""
    import pandas as pd

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
    import pandas as pd

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


def _read(curves: pd.DataFrame, by: list[str] | tuple[str, ...], column: str, reader):
    """A reader of `fit` columns (`first_below`, `value_on`) applied to a frame of `kaplan_meier`'s curves (rows
    by group, then time): a Series by group with `by`, else the one group's value (None where there is none)."""
    import pandas as pd

    group, _ = _group_codes(curves, list(by))
    values = reader({"group": group, "days": curves["days"].to_numpy(dtype=float),
                     column: curves[column].to_numpy(dtype=float)})
    if by:
        return pd.Series(values, index=curves[list(by)].drop_duplicates().set_index(list(by)).index)
    return None if not len(values) or np.isnan(values[0]) else float(values[0])


def value_at(curves: pd.DataFrame, days: float, column: str = "survival", by: list[str] | tuple[str, ...] = ()):
    """`value_on` of a frame of curves: per group with `by`, else a float."""
    value = _read(curves, by, column, lambda columns: value_on(columns, days, column))
    if value is None:
        raise ValueError(f"no curve reaches back to day {days}")
    return value


def first_time_below(curves: pd.DataFrame, q: float = 0.5, column: str = "survival",
                     by: list[str] | tuple[str, ...] = ()):
    """`first_below` of a frame of curves: per group with `by` (NaN where it never drops that far), else a float or
    None."""
    return _read(curves, by, column, lambda columns: first_below(columns, q, column))


def turnbull_fit(lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None = None, tol: float = 1e-5,
                 max_iter: int = 100_000) -> Columns:
    """Turnbull's NPMLE for interval-censored times [lower, upper] (upper = inf: still at risk).

    Returns lifelines' survival function as columns: `days`, every distinct bound, and `lower` and `upper`, the
    range the estimate allows at that point (read with steps-pre: the row at t holds S on (previous point, t]).
    The EM stops where lifelines' does (a log-likelihood gain below `tol`), and its answer is snapped to
    attrition.precision's decimals, so the last bits of a CPU's log and exp never show.
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
    timeline = values[run_starts(values)]  # sorted above
    s_upper, s_lower = _survival_bounds(p, left, right, timeline)
    return {"days": timeline, "upper": snap(s_upper), "lower": snap(s_lower)}


def turnbull(lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None = None, tol: float = 1e-5,
             max_iter: int = 100_000) -> pd.DataFrame:
    """`turnbull_fit` as lifelines' frame: one row per distinct bound (the index), columns `upper` and `lower`."""
    import pandas as pd

    fitted = turnbull_fit(lower, upper, weights, tol, max_iter)
    return pd.DataFrame({"upper": fitted["upper"], "lower": fitted["lower"]}, index=fitted["days"])

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


def _survival_bounds(p: np.ndarray, left: np.ndarray, right: np.ndarray,
                     timeline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The estimate's upper and lower value at every bound of `timeline`, as lifelines reconstructs it: each
    interval assigns values to its ends (a later assignment to a point wins), a point without one takes the next
    assigned point's, and a point after them all what the intervals leave (never below 0)."""
    before = 1 - np.concatenate([[0.0], np.cumsum(p)[:-1]])
    exact = left == right
    times = np.concatenate([[0.0], np.column_stack([left, right]).ravel()])
    upper = np.concatenate([[1.0], np.column_stack([before, before]).ravel()])
    lower = np.concatenate([[1.0], np.column_stack([before, before - p]).ravel()])
    keep = np.concatenate([[True], np.column_stack([np.ones_like(exact), ~exact]).ravel()])
    times, upper, lower = times[keep], upper[keep], lower[keep]
    order = np.argsort(times, kind="stable")
    times, upper, lower = times[order], upper[order], lower[order]
    final = np.r_[times[1:] != times[:-1], True]  # the last assignment to each point
    times, upper, lower = times[final], upper[final], lower[final]
    at = np.searchsorted(times, timeline, "left")  # the first assigned point at or after each bound
    found, at = at < len(times), np.minimum(at, len(times) - 1)
    remaining = 1 - float(p.sum())
    return (np.maximum(np.where(found, upper[at], remaining), 0.0), np.maximum(np.where(found, lower[at], remaining), 0.0))


def turnbull_value_at(fitted: Columns, days: float) -> tuple[float, float]:
    """Range of a `turnbull_fit`'s survival at `days`: the first bound at or after it (steps-pre)."""
    row = min(int(np.searchsorted(fitted["days"], days, "left")), len(fitted["days"]) - 1)
    pair = (float(fitted["upper"][row]), float(fitted["lower"][row]))
    return min(pair), max(pair)


def turnbull_median(fitted: Columns) -> list[float | None]:
    """A `turnbull_fit`'s median as [lower, upper] days; None where that bound of S never reaches 0.5.

    With steps-pre rows, S first drops to 0.5 or below just after the point preceding the first
    row at or below 0.5, so that preceding point is the median.
    """
    bounds = []
    for column in sorted(("upper", "lower"), key=lambda c: fitted[c].sum()):
        below = np.flatnonzero(fitted[column] <= 0.5)
        bounds.append(None if not len(below) else float(fitted["days"][max(below[0] - 1, 0)]))
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
    import pandas as pd

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
