"""Founding-team attrition across labs: the same survival measures for every company, side by side.

Every lab's founders go through the same `tenure_table` (and so the same leaving rule,
`survival.LEAVING_RULE`). Shares at N years are reported only where the lab's data follows its
founders that long; small teams get wide intervals, and the caveats say so next to the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from attrition.dataset import Dataset
from attrition.metrics import PLURAL, MetricError, MetricResult
from attrition.survival import SCENARIOS, departed_band_at, fit_scenario, median_ci, scenario_median, tenure_table
from attrition.tables import as_of_timestamp
from attrition.text import days_and_years

SMALL_TEAM = 10


def companies_with(ds: Dataset, cohort: str) -> list[str]:
    """Companies that have at least one person in `cohort`."""
    return sorted(ds.people.loc[ds.people["cohort"] == cohort, "company"].unique())


def lab_tenures(ds: Dataset, cohort: str = "founder", as_of: date | str | None = None,
                companies: Iterable[str] | None = None) -> pd.DataFrame:
    """tenure_table for every company, stacked, so labs can be fitted and tested together."""
    names = list(companies) if companies is not None else companies_with(ds, cohort)
    return pd.concat([tenure_table(ds, c, cohort, as_of) for c in names], ignore_index=True)


def _share_at(kmf, days: float) -> float:
    return 1 - float(kmf.survival_function_at_times([days]).iloc[0])


def lab_table(ds: Dataset, cohort: str = "founder", at_years: tuple[float, ...] = (1, 2, 3),
              as_of: date | str | None = None) -> pd.DataFrame:
    """One row per lab: team size, departures, median tenure and share gone by each year, with CIs.

    A share at N years is left empty (NaN) when no one in the lab had been followed N years by
    `as_of`, because Kaplan-Meier would otherwise repeat its last value. `caveat` says why a row
    needs care.
    """
    tenures = lab_tenures(ds, cohort, as_of)
    rows = []
    for company, tenure in tenures.groupby("company", sort=True):
        fits = {s: fit_scenario(tenure, s) for s in SCENARIOS}
        followed = float(tenure["midpoint_days"].max())
        row = {"company": company, "n": len(tenure), "left": int(tenure["midpoint_left"].sum()),
               "followed_years": followed / 365.25,
               "median_days": scenario_median(fits["midpoint"]),
               "median_days_lo": scenario_median(fits["shortest"]),
               "median_days_hi": scenario_median(fits["longest"])}
        row["median_ci_lower"], row["median_ci_upper"] = median_ci(fits["midpoint"])
        for years in at_years:
            days = years * 365.25
            observed = followed >= days
            nan = float("nan")
            row[f"gone_{years:g}y"] = _share_at(fits["midpoint"], days) if observed else nan
            row[f"gone_{years:g}y_lo"] = _share_at(fits["longest"], days) if observed else nan
            row[f"gone_{years:g}y_hi"] = _share_at(fits["shortest"], days) if observed else nan
            band = departed_band_at(fits["midpoint"], days) if observed else (nan, nan)
            if observed and row[f"gone_{years:g}y"] == 0 and tenure["midpoint_days"].min() >= days:
                # No one left and everyone was followed this long: KM is the plain proportion 0/n, so the
                # exact (Clopper-Pearson) interval applies; KM's own band has zero width here.
                band = (0.0, 1 - 0.025 ** (1 / len(tenure)))
            row[f"gone_{years:g}y_ci_lower"], row[f"gone_{years:g}y_ci_upper"] = band
        caveats = []
        if len(tenure) < SMALL_TEAM:
            caveats.append(f"only {len(tenure)} founders: each departure moves the share by {1 / len(tenure):.0%}")
        short = [f"{y:g}" for y in at_years if followed < y * 365.25]
        if short:
            caveats.append(f"followed {followed / 365.25:.1f} years, so no share at {', '.join(short)} years")
        if row["left"] == 0:
            caveats.append("no departures yet")
        row["caveat"] = "; ".join(caveats)
        rows.append(row)
    return pd.DataFrame(rows)


def rank_ranges(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rank labs by a share (1 = most attrition), with the range of ranks its 95% CI allows.

    A lab can be placed above another for sure only when its interval lies wholly above the other's.
    """
    scored = table.dropna(subset=[column]).copy()
    lower, upper = scored[f"{column}_ci_lower"], scored[f"{column}_ci_upper"]
    scored["rank"] = scored[column].rank(ascending=False, method="min").astype(int)
    scored["rank_best"] = [1 + int((lower > u).sum()) for u in upper]
    scored["rank_worst"] = [len(scored) - int((upper < lo).sum()) for lo in lower]
    return scored.sort_values(["rank", "company"], ignore_index=True)


def logrank_across_labs(tenures: pd.DataFrame, scenario: str = "midpoint") -> dict[str, float]:
    """Log-rank test of whether any lab's founders leave at a different pace from the others."""
    from lifelines.statistics import multivariate_logrank_test

    result = multivariate_logrank_test(tenures[f"{scenario}_days"], tenures["company"], tenures[f"{scenario}_left"])
    return {"test_statistic": float(result.test_statistic), "p_value": float(result.p_value),
            "degrees_of_freedom": int(result.degrees_of_freedom), "labs": int(tenures["company"].nunique())}


def cox_by_lab(tenures: pd.DataFrame, reference: str = "xai", penalizer: float = 0.1) -> pd.DataFrame:
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
    return pd.DataFrame({
        "company": labs,
        "hazard_ratio_vs_" + reference: summary.loc[labs, "exp(coef)"].to_numpy(),
        "ci_lower": summary.loc[labs, "exp(coef) lower 95%"].to_numpy(),
        "ci_upper": summary.loc[labs, "exp(coef) upper 95%"].to_numpy(),
        "p_value": summary.loc[labs, "p"].to_numpy(),
    })


def _pct(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.0%}"


def compare_labs(ds: Dataset, cohort: str = "founder", at_years: str | tuple[float, ...] = (1, 2, 3),
                 as_of: date | str | None = None) -> MetricResult:
    """The cross-lab table as a metric result: text is a readable table, details hold the rows."""
    if isinstance(at_years, str):
        try:
            at_years = tuple(float(y) for y in at_years.split(",") if y.strip())
        except ValueError:
            raise MetricError(f"--at-years must be numbers separated by commas, not {at_years!r}") from None
    if not at_years:
        raise MetricError("--at-years needs at least one number of years")
    table = lab_table(ds, cohort, at_years, as_of)
    cutoff = as_of_timestamp(ds, as_of).date()
    lines = [f"{PLURAL[cohort].capitalize()} who had left, by years since joining (Kaplan-Meier, date midpoints; "
             f"95% CI in brackets), as of {cutoff}:"]
    for r in table.to_dict("records"):
        shares = "; ".join(
            f"{y:g}y {_pct(r[f'gone_{y:g}y'])}"
            + ("" if pd.isna(r[f"gone_{y:g}y"]) else
               f" [{_pct(r[f'gone_{y:g}y_ci_lower'])}-{_pct(r[f'gone_{y:g}y_ci_upper'])}]")
            for y in at_years)
        lines.append(f"  {r['company']:<18} {r['left']:>2} of {r['n']:<2} left; median {days_and_years(r['median_days'])}; "
                     f"{shares}" + (f"  ({r['caveat']})" if r["caveat"] else ""))
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    return MetricResult(metric="compare_labs", company="all", cohort=cohort, as_of=cutoff.isoformat(),
                        lo=len(table), hi=len(table), unit="labs", text="\n".join(lines),
                        details={"at_years": list(at_years), "labs": records})
