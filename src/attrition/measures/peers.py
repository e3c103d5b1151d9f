"""Founding-team attrition across labs: the same survival measures for every company, side by side.

Every lab's founders go through the same life table (and so the same leaving rule,
`survival.LEAVING_RULE`), fitted for all labs at once. Shares at N years are reported only where
the lab's data follows its founders that long; small teams get wide intervals, and the caveats say
so next to the numbers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from attrition.core import departures, roster
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures import estimators
from attrition.measures.survival import tenures
from attrition.measures.variants import LISTED, RULE, RULE_DEFINITION, SEPARATOR
from attrition.precision import snap, snap_significant
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL, days_and_years

SMALL_TEAM = 10


def lab_tenures(ds: Dataset, cohort: str = "founder", as_of: date | str | None = None) -> pd.DataFrame:
    """tenure_table for every company with someone in `cohort`, stacked, so labs can be tested together."""
    return tenures(ds, Scope.of(ds, cohort=cohort, as_of=as_of))


def lab_table(ds: Dataset, cohort: str = "founder", at_years: tuple[float, ...] = (1, 2, 3),
              as_of: date | str | None = None, censoring: str = "observed", alpha: float = 0.05) -> pd.DataFrame:
    """One row per lab: survival_table by company (see there)."""
    return survival_table(ds, "company", cohort=cohort, at_years=at_years, as_of=as_of, censoring=censoring,
                          alpha=alpha)


def survival_table(ds: Dataset, by: str = "company", company: str | None = None, cohort: str | None = "founder",
                   at_years: tuple[float, ...] = (1, 2, 3), as_of: date | str | None = None,
                   censoring: str = "observed", alpha: float = 0.05) -> pd.DataFrame:
    """One row per value of `by` (company, or group within `company`): size, departures, median tenure
    and share gone by each year, with CIs.

    A share at N years is left empty (NaN) when no one in the row had been followed N years by
    `as_of`, because Kaplan-Meier would otherwise repeat its last value; `gone_Ny_at_least` then
    holds the share gone by the end of follow-up, which the N-year share can only exceed; once everyone in
    the row has left, every later share is known (all of them). `caveat` says why a row needs care.
    `censoring` is relations.CENSORING: each person followed to their last observation, or everyone still there
    to the as-of day (the sensitivity). Intervals are at level 1 - `alpha`.
    """
    return scope_table(ds, Scope.of(ds, company, cohort, as_of, censoring=censoring), by, at_years, alpha)


def scope_table(ds: Dataset, scope: Scope, by: str = "company", at_years: tuple[float, ...] = (1, 2, 3),
                alpha: float = 0.05) -> pd.DataFrame:
    """survival_table of a checked scope: one row per value of `by` among the people it selects."""
    life = roster.life_table(ds, scope, (by,))
    curves = estimators.kaplan_meier(life, [by, "reading"], alpha=alpha)
    read = {r: curves[curves["reading"] == r] for r in ("midpoint", "shortest", "longest")}
    mid = life[life["reading"] == "midpoint"]
    mid_life = mid.groupby(by, observed=True)
    table = pd.DataFrame({"n": mid_life["events"].sum() + mid_life["censored"].sum(), "left": mid_life["events"].sum()})
    removals = mid[mid["events"] + mid["censored"] > 0].groupby(by, observed=True)["days"]
    followed, shortest = mid_life["days"].max(), removals.min().reindex(table.index)
    table["followed_years"] = followed / 365.25
    for column, reading in (("median_days", "midpoint"), ("median_days_lo", "shortest"), ("median_days_hi", "longest")):
        table[column] = estimators.first_time_below(read[reading], by=[by])
    table["median_ci_lower"] = estimators.first_time_below(read["midpoint"], column="lower", by=[by])
    table["median_ci_upper"] = estimators.first_time_below(read["midpoint"], column="upper", by=[by])
    at_end = 1 - read["midpoint"].groupby(by, observed=True)["survival"].last()
    everyone_left = table["left"] == table["n"]
    for years in at_years:
        days, name = years * 365.25, f"gone_{years:g}y"
        observed = (followed >= days) | everyone_left
        table[f"{name}_at_least"] = at_end.where(~observed)
        gone = lambda reading, column="survival": (1 - estimators.value_at(read[reading], days, column, [by]))
        table[name] = gone("midpoint").where(observed)
        table[f"{name}_lo"] = gone("longest").where(observed)
        table[f"{name}_hi"] = gone("shortest").where(observed)
        table[f"{name}_ci_lower"] = gone("midpoint", "upper").where(observed)
        table[f"{name}_ci_upper"] = gone("midpoint", "lower").where(observed)
        # No one left by then: KM's own band has zero width, so the exact (Clopper-Pearson) interval for none gone
        # of those still followed that long applies (all n when everyone was; fewer, so wider, when some were
        # followed less). Everyone left by then: KM is the plain proportion n/n, exact interval likewise.
        exact = observed & (table[name] == 0)
        at_risk = mid[mid["days"] >= days].groupby(by, observed=True)[["events", "censored"]].sum().sum(axis=1)
        at_risk = at_risk.reindex(table.index, fill_value=0).where(shortest < days, table["n"])
        table.loc[exact, f"{name}_ci_lower"] = 0.0
        table.loc[exact, f"{name}_ci_upper"] = 1 - estimators.all_alike_bound(at_risk[exact], alpha)
        whole = observed & everyone_left & (table[name] == 1)
        table.loc[whole, f"{name}_ci_lower"] = estimators.all_alike_bound(table.loc[whole, "n"], alpha)
        table.loc[whole, f"{name}_ci_upper"] = 1.0
    table["caveat"] = [_caveat(n, left, f, at_years, PLURAL[scope.cohort]) for n, left, f in
                       zip(table["n"], table["left"], followed)]
    return snap(table.reset_index())


def _caveat(n: int, left: int, followed_days: float, at_years: tuple[float, ...], people: str) -> str:
    caveats = []
    if n < SMALL_TEAM:
        caveats.append(f"only {n} {people}: each departure moves the share by {1 / n:.0%}")
    short = [f"{y:g}" for y in at_years if followed_days < y * 365.25 and left < n]  # all gone: every share known
    if short:
        caveats.append(f"followed {time_followed(followed_days)}, so no full share at {', '.join(short)} years")
    if left == 0:
        caveats.append("no departures yet")
    return "; ".join(caveats)


def years_down(days: float) -> str:
    """Days as years to one decimal, rounded down, so 2.96 years never reads as a full 3.0."""
    return f"{np.floor(days * 40 / 1461) / 10:.1f}"  # tenths of a year of 1461/4 days, one division


def time_followed(days: float) -> str:
    """How long a team was followed, in words: years to one decimal rounded down ('1.4 years'), or days where
    that would read as no time at all ('29 days', not '0.0 years')."""
    if days < 36.525:
        whole = int(np.floor(days))
        return f"{whole:,} day{'' if whole == 1 else 's'}"
    return f"{years_down(days)} years"


def rank_sets(ds: Dataset, cohort: str = "founder", years: float = 3, as_of: date | str | None = None,
              censoring: str = "freeze", alpha: float = 0.05) -> pd.DataFrame:
    """Each lab's rank by the share of its cohort gone within `years` (1 = the most gone), with a simultaneous
    1 - `alpha` confidence set for every lab's rank at once, among the labs followed that long.

    The method of Mogstad, Romano, Shaikh and Wilhelm (2023; R's csranks): intervals for every pairwise
    difference of shares that hold all together, then each lab's set of ranks from the differences whose
    interval excludes 0. Here the m = p(p-1)/2 intervals hold together by Bonferroni (each at level 1 -
    alpha/m), and each is built from the two labs' own intervals at that level (Newcombe's method, so a lab
    with no departures, whose own interval is exact, gets no falsely narrow difference). Nothing is sampled:
    the same data give the same sets.
    """
    column = f"gone_{years:g}y"
    table = lab_table(ds, cohort, (years,), as_of, censoring)
    scored = table.dropna(subset=[column]).sort_values("company", ignore_index=True)
    labs = len(scored)
    level_alpha = alpha / max(labs * (labs - 1) // 2, 1)
    strict = lab_table(ds, cohort, (years,), as_of, censoring, alpha=level_alpha).set_index("company").loc[scored["company"]]
    best, worst = confidence_sets(scored[column].to_numpy(), strict[f"{column}_ci_lower"].to_numpy(),
                                  strict[f"{column}_ci_upper"].to_numpy())
    scored["rank"] = scored[column].rank(ascending=False, method="min").astype(int)
    scored["rank_best"], scored["rank_worst"], scored["pair_level"] = best, worst, 1 - level_alpha
    return scored.sort_values(["rank", "company"], ignore_index=True)


def confidence_sets(estimate: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The best and worst rank (1 = the largest value) each item's set allows, from each item's estimate and its
    interval at the level every pairwise difference needs: item j ranks below item k for sure when the interval
    of their difference (Newcombe's: from the two intervals) lies below 0."""
    est, lo, hi = (np.asarray(a, dtype=float) for a in (estimate, lower, upper))
    diff = est[:, None] - est[None, :]
    diff_lo = diff - np.sqrt((est - lo)[:, None] ** 2 + (hi - est)[None, :] ** 2)
    diff_hi = diff + np.sqrt((hi - est)[:, None] ** 2 + (est - lo)[None, :] ** 2)
    above, below = snap(diff_lo) > 0, snap(diff_hi) < 0  # j surely above k; j surely below k
    return 1 + below.sum(axis=1), len(est) - above.sum(axis=1)


def logrank_across_labs(tenures: pd.DataFrame, scenario: str = "midpoint", by: str = "company") -> dict[str, float]:
    """Log-rank test of whether any lab's (or group's, by="group") people leave at a different pace."""
    from lifelines.statistics import multivariate_logrank_test

    result = multivariate_logrank_test(tenures[f"{scenario}_days"], tenures[by], tenures[f"{scenario}_left"])
    return {"test_statistic": snap_significant(result.test_statistic), "p_value": snap_significant(result.p_value),
            "degrees_of_freedom": int(result.degrees_of_freedom), "labs": int(tenures[by].nunique())}


def cox_by_lab(tenures: pd.DataFrame, reference: str, penalizer: float = 0.1) -> pd.DataFrame:
    """Hazard ratio of leaving for each lab relative to `reference` (Cox model, lab as covariate).

    A small ridge penalty keeps labs with no departures from driving the fit to infinity, at the
    cost of pulling every ratio towards 1; with teams this small, read them as rough.
    """
    from lifelines import CoxPHFitter

    labs = sorted(set(tenures["company"]) - {reference})
    frame = pd.DataFrame({"duration": tenures["midpoint_days"], "left": tenures["midpoint_left"].astype(int)})
    for lab in labs:
        frame[lab] = (tenures["company"] == lab).astype(float)
    cox = CoxPHFitter(penalizer=penalizer).fit(frame, duration_col="duration", event_col="left")
    summary = cox.summary
    return snap(pd.DataFrame({
        "company": labs,
        "hazard_ratio": summary.loc[labs, "exp(coef)"].to_numpy(),
        "ci_lower": summary.loc[labs, "exp(coef) lower 95%"].to_numpy(),
        "ci_upper": summary.loc[labs, "exp(coef) upper 95%"].to_numpy(),
        "p_value": summary.loc[labs, "p"].to_numpy(),
    }))


def _pct(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.0%}"


def parse_years(at_years: str | tuple[float, ...]) -> tuple[float, ...]:
    """'1,2,3' -> (1.0, 2.0, 3.0): positive, finite numbers of years."""
    if isinstance(at_years, str):
        try:
            at_years = tuple(float(y) for y in at_years.split(",") if y.strip())
        except ValueError:
            raise MetricError(f"--at-years must be numbers separated by commas, not {at_years!r}") from None
    if not at_years:
        raise MetricError("--at-years needs at least one number of years")
    if not all(np.isfinite(y) and 0 < y <= 200 for y in at_years):
        raise MetricError("--at-years must be positive numbers of years (at most 200)")
    return tuple(at_years)


def compare_labs(ds: Dataset, cohort: str = "founder", at_years: str | tuple[float, ...] = (1, 2, 3),
                 as_of: date | str | None = None) -> MetricResult:
    """The cross-lab table as a metric result: text is a readable table, details hold the rows.

    Each person is followed to their last observation; where counting everyone still there up to the
    as-of day (the freeze-date reading) gives different shares, a second line states them.
    """
    at_years = parse_years(at_years)
    table = lab_table(ds, cohort, at_years, as_of)
    if table.empty:
        raise MetricError(f"no company has anyone in the cohort {cohort!r} to compare")
    freeze = lab_table(ds, cohort, at_years, as_of, censoring="freeze").set_index("company")
    cutoff = Scope.of(ds, cohort=cohort, as_of=as_of).date
    names = ds.company_names
    width = max(len(names[c]) for c in table["company"])
    lines = [f"{PLURAL[cohort].capitalize()} who had left, by years since joining (Kaplan-Meier, date midpoints; "
             f"95% CI in brackets; each person followed to their last observation), as of {cutoff}:"]
    for r in table.to_dict("records"):
        shares, median = _shares(r, at_years), days_and_years(r["median_days"])
        lines.append(f"  {names[r['company']]:<{width}}  {r['left']:>2,} of {r['n']:<2,} left; "
                     f"median {median}; {shares}"
                     + (f"  ({r['caveat']})" if r["caveat"] else ""))
        alternative = freeze.loc[r["company"]].to_dict()
        alt_median = days_and_years(alternative["median_days"])
        if (_shares(alternative, at_years), alt_median) != (shares, median):
            lines.append(f"  {'':<{width}}  counting everyone still there up to {cutoff}: median {alt_median}; "
                         f"{_shares(alternative, at_years)}")
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    freeze_records = freeze.reset_index().astype(object).where(freeze.reset_index().notna(), None).to_dict("records")
    return MetricResult(metric="compare_labs", company="all", cohort=cohort, as_of=cutoff.isoformat(),
                        lo=len(table), hi=len(table), unit="labs", text="\n".join(lines),
                        details={"at_years": list(at_years), "labs": records, "labs_followed_to_as_of": freeze_records})


def _shares(row: dict, at_years: tuple[float, ...]) -> str:
    return "; ".join(
        (f"{y:g}y at least {_pct(row[f'gone_{y:g}y_at_least'])}" if row[f"gone_{y:g}y_at_least"] > 0 else
         f"{y:g}y {_pct(row[f'gone_{y:g}y'])}")
        + ("" if pd.isna(row[f"gone_{y:g}y"]) else
           f" [{_pct(row[f'gone_{y:g}y_ci_lower'])}-{_pct(row[f'gone_{y:g}y_ci_upper'])}]")
        for y in at_years)


def lab_curves(ds: Dataset, cohort: str | None = "founder", as_of: date | str | None = None,
               censoring: str = "observed", by: str = "company", company: str | None = None) -> pd.DataFrame:
    """The midpoint Kaplan-Meier curve of every lab (or group within `company`, by="group"), with how
    long it was followed and a 'name (k/n left)' tally."""
    life = roster.life_table(ds, Scope.of(ds, company, cohort, as_of, censoring=censoring), (by,))
    life = life[life["reading"] == "midpoint"]
    curves = estimators.kaplan_meier(life, [by])
    groups = life.groupby(by, observed=True)
    left, n = groups["events"].sum(), groups["events"].sum() + groups["censored"].sum()
    label = ds.company_names if by == "company" else {}
    tally = pd.Series([f"{label.get(key, key) or 'no group'} ({k:,}/{m:,} left)" for key, k, m in
                       zip(left.index, left, n)], index=left.index)
    return curves.assign(followed=curves[by].map(groups["days"].max()).astype("float64"),
                         tally=curves[by].map(tally).astype(object))


def team_variants(ds: Dataset) -> pd.DataFrame:
    """company, variant, definition: the founding-team definitions sources disagree on, as companies.csv
    records them ("A: ...; B: ..."), after the team the dataset itself uses (cohort `founder`, variant "rule")."""
    companies = ds.frame("companies")
    text = companies.set_index("company")["team_variants"].dropna()
    parts = text.str.split(SEPARATOR, regex=True).explode().str.strip()
    parts = parts[parts.str.match(LISTED)]
    listed = pd.DataFrame({"company": parts.index, "variant": parts.str[0].to_numpy(), "definition": parts.str[3:].to_numpy()})
    rules = pd.DataFrame({"company": listed["company"].unique(), "variant": RULE,
                          "definition": RULE_DEFINITION})
    return pd.concat([rules, listed], ignore_index=True)


def team_variant_table(ds: Dataset, as_of: date | str | None = None) -> pd.DataFrame:
    """For each lab whose founding team sources define differently: how many of each variant's members had
    left by `as_of`, with the bounds dated ranges allow (relations.departure_bounds, the rule departed_share
    uses). A variant no source enumerates has no members and no numbers."""
    variants = team_variants(ds)
    people = ds.people[ds.people["company"].isin(variants["company"])]
    tags = people.assign(variant=people["team_variants"].fillna("").str.split(";")).explode("variant")
    members = pd.concat([people.loc[people["cohort"] == "founder", ["person_id", "company"]].assign(variant=RULE),
                         tags.loc[tags["variant"] != "", ["person_id", "company", "variant"]]], ignore_index=True)
    bounds, named = departures.variant_departures(ds, Scope.of(ds, as_of=as_of), members)
    names = named.groupby(["company", "variant"])["name"].agg(", ".join).rename("members")
    table = variants.merge(bounds, on=["company", "variant"], how="left").merge(
        names.reset_index(), on=["company", "variant"], how="left")
    order = table["variant"].where(table["variant"] != RULE, "")  # the rule first, then A, B, C
    return table.assign(members=table["members"].fillna(""), _order=order).sort_values(
        ["company", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


def _row(ds: Dataset, scope: Scope, years: float) -> dict:
    """One lab's survival_table row (the 05 table's row) for `years` since joining."""
    table = scope_table(ds, scope, "company", (years,))
    if table.empty:
        raise MetricError(f"no {PLURAL[scope.cohort]} of {scope.company} had joined by {scope.date}")
    return table.iloc[0].to_dict()


def share_gone_within(ds: Dataset, company: str, at_years: str | tuple[float, ...] = (3,), cohort: str | None = None,
                      censoring: str = "observed", as_of: date | str | None = None) -> MetricResult:
    """The share of a lab's cohort gone within N years of joining, as the peer table gives it (Kaplan-Meier,
    date midpoints), with the 95% interval and the range over the readings of dates in details. While no
    one was followed that long, it is the share gone by the end of follow-up, which the N-year share can
    only exceed (`followed` is then false)."""
    (years,) = parse_years(at_years)[:1]
    scope = Scope.of(ds, company, cohort, as_of, censoring=censoring)
    row = _row(ds, scope, years)
    key = f"gone_{years:g}y"
    day = scope.date
    who = f"{ds.company_names[company]}'s {PLURAL[cohort]}"
    followed = not pd.isna(row[key])
    if not followed:
        lo = hi = float(row[f"{key}_at_least"])
        text = f"{who} were not followed {years:g} years by {day}; at least {_pct(lo)} had left by then"
    else:
        lo = hi = float(row[key])
        text = (f"{_pct(row[key])} of {who} left within {years:g} years of joining (95% interval "
                f"{_pct(row[f'{key}_ci_lower'])} to {_pct(row[f'{key}_ci_upper'])}; {censoring} reading), as of {day}")
    return MetricResult(metric="share_gone_within", company=company, cohort=cohort, as_of=day.isoformat(), lo=lo, hi=hi,
                        unit="share", text=text, numerator={"lo": int(row["left"]), "hi": int(row["left"])},
                        denominator={"lo": int(row["n"]), "hi": int(row["n"])},
                        details={"years": years, "censoring": censoring, "followed": followed,
                                 "readings": [_none(row[f"{key}_lo"]), _none(row[f"{key}_hi"])],
                                 "ci_lower": _none(row[f"{key}_ci_lower"]), "ci_upper": _none(row[f"{key}_ci_upper"]),
                                 "followed_years": float(row["followed_years"])})


def lab_rank(ds: Dataset, company: str, at_years: str | tuple[float, ...] = (3,), cohort: str | None = None,
             censoring: str = "freeze", as_of: date | str | None = None) -> MetricResult:
    """Where a lab ranks by the share of its cohort gone within N years (1 = the most), among the labs followed
    that long: its simultaneous 95% confidence set of ranks (`rank_sets`) as the range, the rank in details."""
    (years,) = parse_years(at_years)[:1]
    day = Scope.of(ds, company, cohort, as_of, censoring=censoring).date
    ranked = rank_sets(ds, cohort, years, as_of, censoring).set_index("company")
    if company not in ranked.index:
        raise MetricError(f"{company}'s {PLURAL[cohort]} were not followed {years:g} years by {day}, so it has no rank")
    row = ranked.loc[company]
    best, worst = int(row["rank_best"]), int(row["rank_worst"])
    text = (f"{ds.company_names[company]} ranks {int(row['rank'])} of {len(ranked)} labs by the share of {PLURAL[cohort]} "
            f"gone within {years:g} years; its rank lies between {best} and {worst} (simultaneous 95% confidence set "
            f"for every lab's rank, as of {day})")
    return MetricResult(metric="lab_rank", company=company, cohort=cohort, as_of=day.isoformat(), lo=best, hi=worst,
                        unit="rank", text=text, denominator={"lo": len(ranked), "hi": len(ranked)},
                        details={"rank": int(row["rank"]), "labs": len(ranked), "years": years, "censoring": censoring,
                                 "pair_level": float(row["pair_level"])})


def retention_interval(ds: Dataset, company: str, at_years: str | tuple[float, ...] = (2,), cohort: str | None = None,
                       censoring: str = "observed", as_of: date | str | None = None) -> MetricResult:
    """The 95% interval of the share of a company's people still there N years after joining (Kaplan-Meier,
    date midpoints) as the range, the estimate in details: what a published retention figure is set beside."""
    (years,) = parse_years(at_years)[:1]
    scope = Scope.of(ds, company, cohort, as_of, censoring=censoring)
    row = _row(ds, scope, years)
    key = f"gone_{years:g}y"
    day = scope.date
    if pd.isna(row[key]):
        lo = hi = estimate = None
        text = f"{ds.company_names[company]}: no one followed {years:g} years by {day}"
    else:
        lo, hi, estimate = 1 - float(row[f"{key}_ci_upper"]), 1 - float(row[f"{key}_ci_lower"]), 1 - float(row[key])
        text = (f"{_pct(estimate)} of {ds.company_names[company]}'s {PLURAL[cohort]} still there {years:g} years after "
                f"joining (95% interval {_pct(lo)} to {_pct(hi)}; {censoring} reading), as of {day}")
    return MetricResult(metric="retention_interval", company=company, cohort=cohort, as_of=day.isoformat(), lo=lo,
                        hi=hi, unit="share", text=text, denominator={"lo": int(row["n"]), "hi": int(row["n"])},
                        details={"years": years, "censoring": censoring, "estimate": estimate})


def _none(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
