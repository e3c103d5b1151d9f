"""Findings about who is there: how many had left, who is still there (only up to their last dated
sighting, after which a person is "last seen D, not observed since"), what the data rests on, and
each person's own dates for their page. Counts come from each person's latest spell, so a person who
left and came back and is serving counts as still there, as the headcount does."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from attrition.findings.finding import (
    Claim,
    Finding,
    between,
    capitalised,
    measured,
    span,
)
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.text import (
    END_WORDS,
    PLURAL,
    cohort_noun,
    count_words,
    format_interval,
    listing,
    ordinal,
    possessive,
    range_text,
)


def _names(ds: Dataset, company: str, ids: Iterable[str]) -> dict[str, str]:
    people = ds.people[ds.people["company"] == company].set_index("person_id")["name"]
    return {p: str(people[p]) for p in ids}




def departed(ds: Dataset, company: str, cohort: str | None = "founder", as_of: date | str | None = None,
             exclude: Iterable[str] = (), noun: str | None = None, group: str | None = None) -> Finding:
    """How many of a cohort had left by `as_of`, as a range where departure dates straddle the day."""
    result, params = measured("departed_count", ds, company=company, cohort=cohort, as_of=as_of,
                              exclude=sorted(exclude), group=group)
    claim = Claim("departed_count", params, "between", between(result.lo, result.hi))
    low, high = span(claim)
    den = range_text(result.denominator["lo"], result.denominator["hi"])
    who = noun or PLURAL[cohort]
    sentence = (f"As of {result.as_of}, {range_text(int(low), int(high))} of {possessive(ds.company_names[company])} {den} "
                f"{who}{' in ' + group if group else ''} had left")
    return Finding(f"{company}-{cohort or 'all'}-departed-{result.as_of}", sentence, (claim,), (result,))


def still_there(ds: Dataset, company: str, cohort: str | None = "founder", as_of: date | str | None = None,
                noun: str | None = None, names: bool = True) -> Finding:
    """Who had not left by `as_of`: still there only if a source shows them there on or after that day;
    otherwise last seen on their latest sighting and not observed since (each date checked)."""
    result, params = measured("remaining_count", ds, company=company, cohort=cohort, as_of=as_of)
    claims = [Claim("remaining_count", params, "between", between(result.lo, result.hi))]
    results = [result]
    who = noun or PLURAL[cohort]
    seen = result.person_ids["remaining"]
    unseen = result.person_ids.get("unseen", [])
    parts = []
    if seen:
        listed = listing(sorted(_names(ds, company, seen).values())) if names else f"{len(seen):,} {who}"
        parts.append(f"{listed} {'is' if len(seen) == 1 else 'are'} still there, as sources show on or after that day")
    if unseen and names:
        dated = []
        for person, name in sorted(_names(ds, company, unseen).items(), key=lambda kv: kv[1]):
            last, last_params = measured("last_seen", ds, company=company, person=person)
            claims.append(Claim("last_seen", last_params, "exact", last.lo))
            results.append(last)
            dated.append(f"{name} (last seen {last.lo})")
        parts.append(f"{listing(dated)} had not left as far as sources show, but {'has' if len(unseen) == 1 else 'have'} "
                     "not been observed there since")
    elif unseen:
        parts.append(f"{len(unseen):,} {who} had not left as far as sources show but were last seen earlier and "
                     "not observed since")
    uncertain = len(result.person_ids.get("uncertain", []))
    if uncertain:
        parts.append(f"for {uncertain:,}, a join or leave date straddles the day")
    body = "; ".join(parts) if parts else f"none of {possessive(ds.company_names[company])} {who} was still there"
    sentence = f"On {result.as_of}: {body}"
    return Finding(f"{company}-{cohort or 'all'}-still-there-{result.as_of}", sentence, tuple(claims), tuple(results))


def named(ds: Dataset, company: str, cohorts: tuple[str, ...] = ("hire", "executive")) -> Finding:
    """How many people of each cohort the data names at a company (the press names only some)."""
    claims, results, parts = [], [], []
    for cohort in cohorts:
        result, params = measured("record_count", ds, company=company, table="people", cohort=cohort)
        claims.append(Claim("record_count", params, "exact", str(result.lo)))
        results.append(result)
        parts.append(f"{result.lo:,} {cohort_noun(cohort, result.lo)}")
    sentence = f"The sources also name {listing(parts)} of {ds.company_names[company]}"
    return Finding(f"{company}-named", sentence, tuple(claims), tuple(results))


def rests_on(ds: Dataset, company: str) -> Finding:
    """How many dated statements in how many sources a company's dates come from."""
    statements, p1 = measured("record_count", ds, company=company, table="evidence")
    sources, p2 = measured("record_count", ds, company=company, table="sources")
    sentence = (f"Every date about {ds.company_names[company]} comes from "
                f"{count_words(statements.lo, 'dated statement')} in {count_words(sources.lo, 'source')}")
    return Finding(f"{company}-rests-on", sentence, (Claim("record_count", p1, "exact", str(statements.lo)),
                                                     Claim("record_count", p2, "exact", str(sources.lo))),
                   (statements, sources))


def conflicts(ds: Dataset, company: str) -> Finding:
    """How many dates sources disagree on (their ranges do not overlap)."""
    result, params = measured("record_count", ds, company=company, table="conflicts")
    sentence = f"Sources disagree on {result.lo:,} date{'s' if result.lo != 1 else ''} in the {ds.company_names[company]} data"
    return Finding(f"{company}-conflicts", sentence, (Claim("record_count", params, "exact", str(result.lo)),), (result,))


def spell_dates(ds: Dataset, person: str, company: str, spell: int, cohort: str, end_event: str, status: str) -> Finding:
    """One spell of one person as their page states it: when they joined and left (each date the range
    its sources allow), or when a source last showed them there."""
    joined, p_join = measured("event_date", ds, company=company, person=person, event="join" if spell == 1 else "return",
                              spell=spell)
    claims = [Claim("event_date", p_join, "between", between(joined.lo, joined.hi))]
    results = [joined]
    text = (f"joined {ds.company_names[company]} ({cohort}) {format_interval(*(date.fromisoformat(v) for v in span(claims[0])))}"
            if spell == 1 else f"returned to {ds.company_names[company]} "
                               f"{format_interval(*(date.fromisoformat(v) for v in span(claims[0])))}")
    if end_event:
        left, p_left = measured("event_date", ds, company=company, person=person, event=end_event, spell=spell)
        claims.append(Claim("event_date", p_left, "between", between(left.lo, left.hi)))
        results.append(left)
        text += f"; {END_WORDS[end_event]} {format_interval(*(date.fromisoformat(v) for v in span(claims[-1])))}"
    else:
        last, p_last = measured("last_seen", ds, company=company, person=person, spell=spell)
        claims.append(Claim("last_seen", p_last, "exact", last.lo))
        results.append(last)
        text += (f"; still there on {last.lo}, the as-of date" if status == "active" and last.lo == ds.freeze_date.isoformat()
                 else f"; last seen there {last.lo}, not observed since")
    return Finding(f"{person}-{company}-spell-{spell}", capitalised(text), tuple(claims), tuple(results))


def departed_cohorts(ds: Dataset, company: str, cohorts: tuple[str, ...], as_of: date | str | None = None) -> Finding:
    """How many of each of several cohorts had left by `as_of`, in one sentence (e.g. named hires and executives)."""
    claims, results, parts = [], [], []
    for cohort in cohorts:
        result, params = measured("departed_count", ds, company=company, cohort=cohort, as_of=as_of)
        claims.append(Claim("departed_count", params, "between", between(result.lo, result.hi)))
        results.append(result)
        low, high = span(claims[-1])
        den = range_text(result.denominator["lo"], result.denominator["hi"])
        parts.append(f"{range_text(int(low), int(high))} of its {den} {PLURAL[cohort]}")
    sentence = f"As of {results[0].as_of}, {listing(parts)} had left {ds.company_names[company]}"
    return Finding(f"{company}-{'-'.join(cohorts)}-departed", sentence, tuple(claims), tuple(results))


def departure_rank(ds: Dataset, company: str, person: str, as_of: date | str | None = None) -> Finding:
    """Where a person's departure falls in the order of their cohort's departures, and who left before."""
    result, params = measured("departure_rank", ds, company=company, person=person, as_of=as_of)
    claim = Claim("departure_rank", params, "between", between(result.lo, result.hi))
    low, high = (int(v) for v in span(claim))
    name = _names(ds, company, [person])[person]
    rank = ordinal(low) if low == high else f"{ordinal(low)} to {ordinal(high)}"
    earlier = sorted(_names(ds, company, result.person_ids["earlier"]).values())
    sentence = (f"{name} was the {rank} of {possessive(ds.company_names[company])} {result.denominator['lo']} "
                f"{PLURAL[result.cohort]} to leave (as of {result.as_of})"
                + (f"; those who left earlier: {listing(earlier)}" if earlier else ""))
    return Finding(f"{company}-{person}-rank-{result.as_of}", sentence, (claim,), (result,))


def interruptions(ds: Dataset, cohort: str = "founder") -> Finding:
    """Who, at any company, left and came back within the interruption window (not counted as leaving), each
    count checked."""
    from attrition.measures.survival import tenures

    table = tenures(ds, Scope.of(ds, cohort=cohort))
    back = table[table["interruptions"] > 0].sort_values(["name", "company"])
    if back.empty:
        result, params = measured("destination_count", ds, cohort=cohort)
        return Finding(f"{cohort}-interruptions", f"No {cohort} left and came back within the interruption window",
                       (Claim("destination_count", params, "exact", str(result.lo)),), (result,))
    claims, results, names = [], [], []
    for row in back.itertuples():
        result, params = measured("interruptions", ds, company=row.company, person=row.person_id)
        claims.append(Claim("interruptions", params, "exact", str(result.lo)))
        results.append(result)
        names.append(f"{row.name} ({ds.company_names[row.company]}, {result.lo} time{'s' if result.lo != 1 else ''})")
    sentence = f"Absences not counted as leaving (a return within the interruption window): {listing(names)}"
    return Finding(f"{cohort}-interruptions", sentence, tuple(claims), tuple(results))
