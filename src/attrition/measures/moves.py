"""Where people went, counted by the engine: each departure's destination, and the flows between companies.

Each lasting departure (date midpoints, the leaving rule of `survival`) takes its destination from
moves.csv: the first row for its person and company (by spell, then date, then source) gives the
category (founded a company, another AI lab, big tech...), the organisation, and its id when that
organisation is a company in the data. A departure with no moves row is `unknown`, an honest value.
Only counts leave the engine, so `attrition metric flow_matrix` needs no pandas; `flows` sets the same
destinations beside the tenure table for the curves and the pages. Founders who had worked at a company of the
data before are matched to it in the engine too (`core.lineage`): `alumni_founded` counts the labs they founded.
"""

from __future__ import annotations

from datetime import date

from attrition.core import departures, lineage
from attrition.core.scope import Scope, check_scope
from attrition.io.dataset import Dataset
from attrition.result import MetricError, MetricResult
from attrition.text import PLURAL, cohort_noun, count_words

CATEGORY_WORDS = {
    "founded": "founded or co-founded a company", "returned": "went back to a previous employer",
    "ai_lab": "joined another AI lab", "big_tech": "joined big tech", "academia": "went into academia",
    "investing": "went into investing", "personal": "left for personal reasons or retired",
    "unknown": "destination unknown",
}
"""Each destination category in words, in the order of schema.MOVE_CATEGORIES: what a sentence or a table says."""
CATEGORY_LABELS = {"founded": "founded a company", "returned": "went back", "ai_lab": "other AI lab",
                   "big_tech": "big tech", "academia": "academia", "investing": "investing",
                   "personal": "personal, retired", "unknown": "unknown"}
"""The same categories as short labels, where a chart has little room (column heads)."""


def flow_matrix(ds: Dataset, cohort: str | None = None, as_of: date | str | None = None) -> MetricResult:
    """Departures from each company of the data to each other company in it, and to the outside by category."""
    scope = Scope.of(ds, cohort=cohort, as_of=as_of)
    flows = departures.flows(ds, scope)
    if not flows:
        raise MetricError("no one in the data had left, so there are no flows")
    names = ds.company_names
    cutoff = scope.date
    label = lambda row: names.get(row["to"], row["to"]) if row["to_company"] else CATEGORY_WORDS[row["to"]]
    lines = [f"Departures of {PLURAL[cohort]} as of {cutoff}, from each company to another company in the data "
             f"or, outside it, by kind of destination:"]
    for company in dict.fromkeys(row["company"] for row in flows):
        rows = sorted((row for row in flows if row["company"] == company),
                      key=lambda row: (not row["to_company"], -row["people"]))  # stable: then by destination
        parts = [f"{label(row)} {row['people']}" for row in rows]
        lines.append(f"  {names[company]} ({sum(row['people'] for row in rows)} left): " + "; ".join(parts))
    between = sum(row["people"] for row in flows if row["to_company"])
    return MetricResult(metric="flow_matrix", company="all", cohort=cohort, as_of=cutoff.isoformat(),
                        lo=between, hi=between, unit="moves between companies", text="\n".join(lines),
                        details={"flows": flows})


def destination_count(ds: Dataset, cohort: str | None = None, company: str | None = None,
                      category: str | None = None, to_company: str | None = None,
                      as_of: date | str | None = None) -> MetricResult:
    """How many of a cohort (at one company, or every company in the data) had left by `as_of` (first lasting
    departures, date midpoints): for one destination category if given (`unknown`: no source says where),
    or to one company of the data (`to_company`)."""
    scope = Scope.of(ds, company, cohort, as_of)
    (n, companies, gone), counted = departures.destination_count(ds, scope, category, to_company)
    every = count_words(int(companies), "company", "companies")
    where = ds.company_names[company] if company else f"the {every} in the data"
    what = ("" if category is None else f" and {CATEGORY_WORDS[category]}") + \
        ("" if to_company is None else f" for {ds.company_names[to_company]}")
    cutoff = scope.date
    return MetricResult(metric="destination_count", company=company or "all", cohort=cohort, as_of=cutoff.isoformat(),
                        lo=len(counted), hi=len(counted), unit="people",
                        text=f"{len(counted)} of {int(n):,} {cohort_noun(cohort, int(n))} of "
                             f"{where} had left{what} as of {cutoff}",
                        denominator={"lo": n, "hi": n}, person_ids={"counted": counted},
                        details={"companies": int(companies), "left": int(gone)})


def alumni_founded(ds: Dataset, company: str) -> MetricResult:
    """How many other labs in the data had a founder who had worked at `company` (people.csv prior affiliations)."""
    check_scope(ds, company, None)
    labs = lineage.alumni_labs(ds, company)
    others = len(ds.companies) - 1
    return MetricResult(metric="alumni_founded", company=company, cohort="founder", as_of=ds.freeze_date.isoformat(),
                        lo=len(labs), hi=len(labs), unit="labs",
                        text=f"alumni of {ds.company_names[company]} founded or co-founded {len(labs)} of the other "
                             f"{count_words(others, 'company', 'companies')} in the data",
                        denominator={"lo": others, "hi": others}, person_ids={"labs": labs})
