"""Which source changed a verdict: for each claim whose verdict on what was known when it was written differs from
its verdict on everything the data holds now, the sources after which it changed.

The data is replayed as it was known on later days (attrition.io.dataset.known_as_of), the days on which a source
about the claim's company was published; the first of those days on which the verdict differs from the verdict
when written is searched by halving (a claim costs a few checks, not one per day; where a verdict moved more than
once, the day found is one on which it moved). A verdict that no dated replay changes was changed by sources
without a publication date, which no replay holds. Among that day's sources (or the undated ones) that speak of
what the claim counts, those without which the verdict would differ are named, found by leaving them out by
halves (attrition.io.dataset.without_sources); where several say the same and none decides alone, all are named.
"""

from __future__ import annotations

from dataclasses import dataclass

from attrition.claims.file import parse_params
from attrition.claims.ledger import check, claim_rows, verdicts
from attrition.core import lookups
from attrition.days import day_date, day_number
from attrition.io.dataset import Dataset, without_sources
from attrition.result import MetricError

@dataclass(frozen=True)
class Flip:
    """A claim's verdict when written (`then`), now, the day it changed ("" when only undated sources changed it)
    and the sources that changed it."""

    claim_id: str
    then: str
    now: str
    day: str
    sources: tuple[str, ...]


def flips(ds: Dataset, ledger: list[dict]) -> list[Flip]:
    """Every claim of the ledger (rows as `ledger.checked` gives them) whose two verdicts differ, with the sources
    that changed it, in the ledger's order."""
    claims = {claim[1]: claim for claim in claim_rows(ds)}
    return [_flip(ds, claims[row["claim_id"]], row) for row in ledger
            if row["verdict_then"] != row["verdict"] and row["label"] != "not checkable"]


def _flip(ds: Dataset, claim: tuple, row: dict) -> Flip:
    then = row["verdict_then"]
    company = parse_params(row["params"]).get("company")
    days = lookups.publication_days(ds, day_number(row["known_then"]), day_number(ds.freeze_date), company)
    seen: dict[int, str] = {}

    def verdict(data: Dataset) -> str:
        """The claim's verdict on `data`, checked once: each replay is one dataset object, kept by the dataset it
        comes from (`known_as_of`, `without_sources`), and the day found is checked again to name its sources."""
        if id(data) not in seen:
            seen[id(data)] = verdicts(data, [claim])[0]["verdict"]
        return seen[id(data)]

    on = lambda day: ds.as_known_on(day_date(day))  # noqa: E731
    if not days or verdict(on(days[-1])) == then:
        return Flip(row["claim_id"], then, row["verdict"], "", _decisive(ds, claim, company, None, verdict))
    low, high = 0, len(days) - 1  # the verdict differs from `then` on days[high]
    while low < high:
        middle = (low + high) // 2
        if verdict(on(days[middle])) != then:
            high = middle
        else:
            low = middle + 1
    return Flip(row["claim_id"], then, row["verdict"], day_date(days[low]).isoformat(),
                _decisive(on(days[low]), claim, company, days[low], verdict))


def _decisive(ds: Dataset, claim: tuple, company: str | None, day: int | None, verdict) -> tuple[str, ...]:
    """The sources that changed the claim's verdict on `ds`: among those published on `day` (or without a
    publication date, for `day` None) that speak of the people the claim's check counts, or of the count or
    milestone it names (of its company, when none of these), each one without which the verdict on `ds` would
    differ; all of them when no single one decides it (several sources say the same)."""
    (_, _, _, _, as_of, _, metric, params, reported, reading, tolerance, *_) = claim
    given = parse_params(params)
    named = [given["person"]] if "person" in given else []
    try:
        result = check(ds, metric, given, reported, reading, tolerance or None, day_date(as_of))
        people = sorted({*named, *(p for ids in result["metric_result"]["person_ids"].values() for p in ids)})
    except MetricError:  # the data does not know what the claim asks about
        people = named
    candidates = lookups.sources_about(ds, day, people, given, company)
    now = verdict(ds)
    return tuple(_deciding(candidates, lambda left_out: verdict(without_sources(ds, left_out)) != now) or candidates)


def _deciding(sources: list[str], changes) -> list[str]:
    """The sources each of which, left out alone, changes the verdict (`changes(sources left out)`), found by
    leaving out halves: a group whose leaving out changes nothing is taken to hold none, so a source costs a few
    checks, not one each."""
    if not sources or not changes(sources):
        return []
    if len(sources) == 1:
        return sources
    half = len(sources) // 2
    return _deciding(sources[:half], changes) + _deciding(sources[half:], changes)
