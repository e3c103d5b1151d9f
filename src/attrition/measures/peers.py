"""Founding-team attrition across labs, as frames: the labs' table, their curves, ranks and tests side by side.

Every lab's founders go through the same life table (and so the same leaving rule,
`survival.LEAVING_RULE`), fitted for all labs at once. The table of shares gone by N years is
`attrition.measures.lab_shares`' (whose metrics need no pandas), here as a frame for the notebooks and the site.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from attrition.core import departures, life, roster
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures import estimators, lab_shares
from attrition.measures.lab_shares import parse_years
from attrition.measures.survival import tenures
from attrition.measures.variants import LISTED, RULE, RULE_DEFINITION, SEPARATOR
from attrition.precision import snap, snap_significant
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL


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
    """survival_table of a checked scope (`lab_shares.table_columns` as a frame): one row per value of `by` among
    the people it selects, its values a Categorical."""
    columns = lab_shares.table_columns(ds, scope, by, at_years, alpha)
    return pd.DataFrame({**columns, by: pd.Categorical(columns[by], categories=life.labels_of(ds, by), ordered=True)})


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


