"""The standard story of any roster, for one company: who is there, how long people stay, how fast
they leave and join, how many there are, and how groups compare.

The parameterised report notebook draws every number from here, so an HR export, an open roster
and the curated AI-lab data all get the same measures, in the dataset's own words.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from attrition.core import roster
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.measures import peers, survival
from attrition.measures.rates import poisson_ci
from attrition.measures.tenure import median_tenure
from attrition.result import MetricError
from attrition.text import PLURAL

DEFAULT_WORDS = {**{k: v for k, v in PLURAL.items() if k}, "people": "people", "person": "person",
                 "company": "company", "companies": "companies"}
LONG_SPAN_YEARS = 10
"""Beyond this many years, hires are counted per year rather than per month, so a chart stays legible."""


def words(ds: Dataset) -> dict[str, str]:
    """Nouns the report uses: plural per cohort, for everyone ('people'), one person, a company and companies.

    A dataset sets its own in dataset.toml's [wording] table: the shipped data says "labs", an imported
    roster what its mapping's [roster.words] says ("judges", "courts"; by default "employees").
    """
    given = ds.config.get("wording", {})
    return {key: str(given.get(key, value)) for key, value in DEFAULT_WORDS.items()}


def people_word(ds: Dataset, cohort: str | None) -> str:
    """'founders', 'employees'...: the cohort's word, or the dataset's word for everyone."""
    table = words(ds)
    return table[cohort] if cohort else (table["hire"] if set(ds.people["cohort"]) == {"hire"} else table["people"])


def imported(ds: Dataset) -> bool:
    """Whether the dataset was imported from someone's roster (`attrition import`), not curated from sources."""
    return "imported_from" in ds.config.get("dataset", {})


def is_public(ds: Dataset) -> bool:
    """Whether pages may name people: dataset.toml's [report] public. By default a curated dataset may (everyone
    in it is named by the sources it cites) and an imported roster may not: private by default."""
    return bool(ds.config.get("report", {}).get("public", not imported(ds)))


def licence(ds: Dataset) -> str:
    """The data's licence, as every page states it: dataset.toml's [report] licence; by default CC BY 4.0 for a
    curated dataset and "private, not for publication" for an imported roster."""
    from attrition.io.importers.mapping import PRIVATE

    return str(ds.config.get("report", {}).get("licence", PRIVATE if imported(ds) else "CC BY 4.0"))


def title(ds: Dataset) -> str:
    """The dataset's title for a report's pages: dataset.toml's [report] title, else its folder's name."""
    return str(ds.config.get("report", {}).get("title", "") or ds.data_dir.name)


def default_company(ds: Dataset) -> str:
    """The company with the most people (the first by id on a tie): the report's subject when none is named."""
    if not ds.companies:
        raise MetricError("the dataset has no people, so there is no company to report on")
    counts = ds.people["company"].value_counts()
    return sorted(counts[counts == counts.max()].index)[0]


def summary(ds: Dataset, company: str, cohort: str | None = None, as_of: date | str | None = None) -> dict:
    """Headline numbers: people, departures, still there, median tenure, and how each was followed.

    `followed_to_freeze` counts the people still there whose last sighting is the as-of day itself
    (the export date, for an imported roster); the others are followed only to `seen_earliest` ..
    `seen_latest`, and the survival curve counts them only that far.
    """
    scope = Scope.of(ds, company, cohort, as_of)
    tenure = survival.tenure_table(ds, scope)
    cutoff = scope.timestamp
    still = tenure[~tenure["midpoint_left"]]
    seen = still["seen_until"].clip(upper=cutoff)
    earlier = seen[seen < cutoff]
    return {
        "company": company, "name": ds.company_names[company], "people_word": people_word(ds, cohort),
        "as_of": cutoff.date(), "people": len(tenure), "left": int(tenure["midpoint_left"].sum()),
        "still_there": len(still), "first_join": tenure["start_mid"].min().date(),
        "median": median_tenure(ds, company, cohort, as_of),
        "followed_to_freeze": int((seen >= cutoff).sum()), "followed_earlier": len(earlier),
        "seen_earliest": earlier.min().date() if len(earlier) else None,
        "seen_latest": earlier.max().date() if len(earlier) else None,
    }


def period_unit(span_years: float) -> str:
    """The period to count in: a month for short rosters, a year, or a decade over long histories."""
    return "month" if span_years <= LONG_SPAN_YEARS else "year" if span_years <= 5 * LONG_SPAN_YEARS else "decade"


def hires_by_period(ds: Dataset, company: str, cohort: str | None = None,
                    as_of: date | str | None = None) -> tuple[pd.DataFrame, str]:
    """People joining per month, year or decade (see period_unit), with exact 95% Poisson intervals
    on each count, and the unit.

    Everyone's first join counts (founders too, unless `cohort` says otherwise); a join known only
    to a range wider than the period is left out and counted in `unplaced`.
    """
    scope = Scope.of(ds, company, cohort, as_of)
    table = roster.spells(ds, scope)
    table = table[table["spell"] == 1]
    if table.empty:
        raise MetricError(f"no {people_word(ds, cohort)} joined {company}")
    unit = period_unit((scope.timestamp - table["start_lo"].min()).days / 365.25)
    joins = roster.joins_per_period(ds, scope, unit)
    if joins.empty:
        raise MetricError(f"no join at {company} is dated to within one {unit}")
    lower, upper = poisson_ci(joins["joins"].to_numpy())
    frame = pd.DataFrame({"period": joins["period"].to_numpy(), "hires": joins["joins"].to_numpy(), "ci_lower": lower,
                          "ci_upper": upper, "unplaced": joins["unplaced"].to_numpy()})
    return frame, unit


def years_per_row(summary_: dict) -> int:
    """Calendar years per row of the departure-rate table: 1, or 5 or 10 over long histories."""
    span = (summary_["as_of"] - summary_["first_join"]).days / 365.25
    return 1 if span <= 15 else 5 if span <= 60 else 10


def headcount_series(ds: Dataset, company: str, cohort: str | None = None,
                     as_of: date | str | None = None) -> pd.DataFrame:
    """People surely (lo) and possibly (hi) at the company, monthly, or yearly over long spans."""
    scope = Scope.of(ds, company, cohort, as_of)
    first = roster.spells(ds, scope)["start_lo"].min()
    long = (scope.timestamp - first).days / 365.25 > LONG_SPAN_YEARS
    cohorts = None if cohort is None else (cohort,)
    return roster.headcount(ds, company, freq="YS" if long else "MS", end=as_of, cohorts=cohorts)


def groups_compared(ds: Dataset, company: str, cohort: str | None = None, at_years: tuple[float, ...] = (1, 5),
                    as_of: date | str | None = None) -> tuple[pd.DataFrame, dict[str, float] | None]:
    """Survival by group (department, office...) within the company, and a log-rank test across groups.

    Returns an empty table and no test when fewer than two groups have people.
    """
    table = peers.survival_table(ds, "group", company=company, cohort=cohort, at_years=at_years, as_of=as_of)
    table = table[table["group"].astype(str) != ""].reset_index(drop=True)
    if len(table) < 2:
        return table.iloc[0:0], None
    tenure = survival.tenure_table(ds, Scope.of(ds, company, cohort, as_of))
    tenure = tenure[tenure["group"] != ""]
    return table, peers.logrank_across_labs(tenure, by="group")


def at_years_for(summary_: dict) -> tuple[float, ...]:
    """Tenure horizons worth reporting for this roster: 1 and 2 years for a young one, up to 5 and 10 for old."""
    span = (summary_["as_of"] - summary_["first_join"]).days / 365.25
    return (1, 2) if span < 5 else (1, 5) if span < 20 else (5, 10)
