"""Records looked up by key: a person, an event, a milestone, a reported count, a base rate, a claim, a source.

Facts, claims and the registry's parameter checks each read one record (or a short list) from the canonical
tables or the resolved ones. Each query is a named `Relation` with its output columns declared, and a function
here runs it, so the measures and claims above never write SQL; a test runs every relation on the shipped data
and holds the columns it gives to the declared ones, and tests/sql/ keeps each engine's text.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrition.core.named import Relation, first
from attrition.core.scope import Scope
from attrition.core.tables import day_spells, events_table, lasting_table, milestones_table
from attrition.io.dataset import Dataset


PERSON = Relation("person", ("name", "cohort", "prior_affiliations"),
                  "SELECT name, cohort, coalesce(prior_affiliations, '') AS prior_affiliations FROM people "
                  "WHERE company = ? AND person_id = ?")
"""One person of people.csv: the name a fact's text gives, the cohort, the prior affiliations as listed."""

EVENT = Relation("event", ("name", "earliest", "latest", "conflict", "source_ids"),
                 "SELECT name, earliest, latest, conflict, source_ids FROM {events} "
                 "WHERE company = ? AND person_id = ? AND event = ? AND spell = ?")
"""One resolved event of one spell: the date a claim about it is checked against, and the sources behind it."""

EVENT_SOURCES = Relation("event sources", ("source_ids",),
                         "SELECT source_ids FROM {events} WHERE company = ? AND person_id = ? AND event = ? "
                         "ORDER BY spell LIMIT 1")
"""The sources dating a person's first event of a kind: whether a claim's date rests only on its own source."""

MILESTONE = Relation("milestone", ("label", "earliest", "latest", "conflict", "source_ids"),
                     "SELECT label, earliest, latest, conflict, source_ids FROM {milestones} "
                     "WHERE company = ? AND milestone_id = ?")
"""One resolved company milestone, with the sources behind its date."""

LISTED_MILESTONE = Relation("listed milestone", ("milestone_id",),
                            "SELECT milestone_id FROM milestones WHERE company = ? AND milestone_id = ?")
"""Whether milestones.csv names a milestone, without resolving every milestone's date."""

COUNT = Relation("reported count", ("company", "measure", "value", "source_id", "end"),
                 'SELECT company, measure, value, source_id, "end" FROM counts WHERE count_id = ?')
"""One count a source reported (reported_counts.csv), and the last day it covers."""

HIRE_COUNTS = Relation("reported hires", ("count_id", "value", "qualifier", "source_id", "scope_note"),
                       "SELECT count_id, value, qualifier, source_id, scope_note FROM counts WHERE company = ? "
                       "AND measure = 'hires' AND \"start\" = ? AND \"end\" = ? ORDER BY count_id")
"""Every count of hires reported for exactly one window: two sources may disagree."""

HIRE_WINDOWS = Relation("reported hire windows", ("count_id", "start", "end"),
                        "SELECT count_id, \"start\", \"end\" FROM counts WHERE company = ? AND measure = 'hires' "
                        "ORDER BY rec")
"""The windows for which a company's hires were reported, in file order: what an error offers instead."""

OWN_HIRE_COUNTS = Relation("own hire counts", ("n",),
                           "SELECT count(*) AS n FROM counts WHERE company = ? AND measure = 'hires' AND source_id = ?")
"""How many counts of a company's hires one source reported: whether a claim checks only its own figures."""

TEAM_VARIANTS = Relation("team variants", ("team_variants",),
                         "SELECT coalesce(team_variants, '') AS team_variants FROM companies WHERE company = ?")
"""How sources define a company's founding team differently (companies.csv: "A: ...; B: ...", or nothing)."""

PUBLISHER = Relation("publisher", ("publisher",), "SELECT publisher FROM sources WHERE source_id = ?")
"""How a text names a source: its publisher, not its id."""

RECORDS = {
    "people": Relation("people", ("n",), "SELECT count(*) AS n FROM people WHERE company = ?{cohort}"),
    "evidence": Relation("evidence", ("n",), "SELECT count(*) AS n FROM evidence WHERE company = ?"),
    "sources": Relation("sources cited", ("n",),
                        "SELECT count(DISTINCT source_id) AS n FROM evidence WHERE company = ?"),
    "conflicts": Relation("conflicts", ("n",), "SELECT count(*) AS n FROM {events} WHERE company = ? AND conflict"),
}
"""What a company's numbers rest on, by what they count: its people (`cohort`: " AND cohort = ?" for one cohort,
or nothing), dated statements, sources cited and events whose sources disagree."""

REASONS_GIVEN = Relation("reasons given", ("n",),
                         "SELECT count(*) AS n FROM evidence WHERE coalesce(reason, '') <> '' {where}")
"""How many dated statements give a reason for leaving (`where`: "AND company = ?", or nothing)."""

LATEST_SIGHTING = Relation("latest sighting", ("name", "spell", "seen_until", "end_lo"),
                           "SELECT name, spell, seen_until, end_lo FROM {spells} "
                           "WHERE company = ? AND person_id = ? AND as_of = ? AND latest")
"""The last day a source shows a person at a company in their latest spell on a day (`spells`: `day_spells`)."""

SPELL_SIGHTING = Relation("spell sighting", LATEST_SIGHTING.columns,
                          "SELECT name, spell, seen_until, end_lo FROM {spells} "
                          "WHERE company = ? AND person_id = ? AND as_of = ? AND spell = ?")
"""The same for one named spell."""

FIRST_JOIN = Relation("first join", ("name", "start_lo", "start_hi", "start_sources"),
                      "SELECT name, start_lo, start_hi, start_sources FROM {spells} "
                      "{where} AND as_of = ? AND person_id = ? AND spell = 1")
"""When a person first joined, as of a day (`spells`: `day_spells`; `where`: the scope's clause)."""

INTERRUPTIONS = Relation("interruptions", ("name", "interruptions"),
                         "SELECT name, interruptions FROM {lasting} WHERE company = ? AND person_id = ?")
"""How often a person left and came back within the interruption window (`lasting`: `lasting_table`)."""

BASE_RATE = Relation("base rate", ("rate_id", "source_id", "study", "stated_as", "share", "measure", "horizon_years",
                                   "clock", "population", "sample", "definition", "publisher"), """
    SELECT b.rate_id, b.source_id, b.study, b.stated_as, b.share, b.measure, b.horizon_years, b.clock, b.population,
           b.sample, b.definition, s.publisher
    FROM base_rates AS b LEFT JOIN sources AS s ON s.source_id = b.source_id WHERE b.rate_id = ?""")
"""One published base rate (base_rates.csv), with its source's publisher."""

RATE_IDS = Relation("base rate ids", ("rate_id", "horizon_years"),
                    "SELECT rate_id, horizon_years FROM base_rates ORDER BY rec")
"""Every base rate's id in file order, and the years it is read at (none for some)."""

CLAIMS = Relation("claims", ("rec", "claim_id", "publisher", "published", "as_of", "claim", "metric", "params",
                             "reported", "reading", "tolerance", "note", "source_id", "url"), """
    SELECT c.rec, c.claim_id, s.publisher, s.published, c.as_of, c.claim, c.metric, c.params, c.reported, c.reading,
           c.tolerance, c.note, c.source_id, s.url
    FROM claims AS c LEFT JOIN sources AS s ON s.source_id = c.source_id {where}ORDER BY c.rec""")
"""The claims (`where`: "WHERE c.claim_id = ? " for one) in file order, with their sources' publisher, day and
address."""

CLAIMS_TO_CHECK = Relation("claims to check", ("rec", "reading", "note", "params", "metric", "as_of", "reported",
                                               "tolerance"),
                           "SELECT rec, reading, note, params, metric, as_of, reported, tolerance FROM claims ORDER BY rec")
"""What checking the claims file against the registry reads: its own columns only (a source listed twice, itself
an error, does not repeat a claim)."""

ABOUT = " UNION ".join(f"SELECT source_id, company FROM {table}" for table in ("evidence", "milestones", "counts", "moves"))
"""Every source with the company each of its rows is about."""

PUBLICATION_DAYS = Relation("publication days", ("published",),
                            f"SELECT DISTINCT s.published FROM sources AS s JOIN ({ABOUT}) AS a ON a.source_id = s.source_id "
                            "WHERE s.published > ? AND s.published <= ?{about} ORDER BY 1")
"""The days after one day and up to another on which a source was published (`about`: " AND a.company = ?" for
those about one company, or nothing): the days on which what the data knows could change."""

SOURCES_ABOUT = Relation("sources about", ("source_id",),
                         "SELECT DISTINCT s.source_id FROM sources AS s JOIN ({about}) AS a ON a.source_id = s.source_id "
                         "WHERE {when} ORDER BY 1")
"""The sources published on one day (`when`: "s.published = ?", or "s.published IS NULL") among those of a union
of queries (`about`, see `sources_about`)."""

RELATIONS = (PERSON, EVENT, EVENT_SOURCES, MILESTONE, LISTED_MILESTONE, COUNT, HIRE_COUNTS, HIRE_WINDOWS,
             OWN_HIRE_COUNTS, TEAM_VARIANTS, PUBLISHER, *RECORDS.values(), REASONS_GIVEN, LATEST_SIGHTING,
             SPELL_SIGHTING, FIRST_JOIN, INTERRUPTIONS, BASE_RATE, RATE_IDS, CLAIMS, CLAIMS_TO_CHECK, PUBLICATION_DAYS, SOURCES_ABOUT)
"""Every relation of this module, for the tests."""


def person(ds: Dataset, company: str, person_id: str) -> tuple | None:
    """(name, cohort, prior affiliations) of one person at a company, or None."""
    return first(PERSON.rows(ds, [company, person_id]))


def event(ds: Dataset, company: str, person_id: str, kind: str, spell: int) -> tuple | None:
    """(name, earliest, latest, conflict, source ids) of one resolved event, or None."""
    return first(EVENT.rows(ds, [company, person_id, kind, spell], events=events_table(ds)))


def event_sources(ds: Dataset, company: str | None, person_id: str, kind: str) -> str | None:
    """The sources (joined by ';') of a person's first event of a kind, or None."""
    found = first(EVENT_SOURCES.rows(ds, [company, person_id, kind], events=events_table(ds)))
    return None if found is None else found[0]


def milestone(ds: Dataset, company: str, milestone_id: str) -> tuple | None:
    """(label, earliest, latest, conflict, source ids) of one resolved milestone, or None."""
    return first(MILESTONE.rows(ds, [company, milestone_id], milestones=milestones_table(ds)))


def milestone_listed(ds: Dataset, company: str, milestone_id: str) -> bool:
    return bool(LISTED_MILESTONE.rows(ds, [company, milestone_id]))


def reported_count(ds: Dataset, count_id: str) -> dict | None:
    """One reported count's row by column name (company, measure, value, source_id, end day), or None."""
    found = first(COUNT.rows(ds, [count_id]))
    return None if found is None else dict(zip(COUNT.columns, found))


def hire_counts(ds: Dataset, company: str, start: int, end: int) -> list[dict[str, object]]:
    """Each count of hires reported for the window [start, end] (day numbers), in id order, as a dict."""
    return [dict(zip(HIRE_COUNTS.columns, row)) for row in HIRE_COUNTS.rows(ds, [company, start, end])]


def hire_windows(ds: Dataset, company: str) -> list[tuple]:
    """(count id, start day, end day) of each reported count of a company's hires, in file order."""
    return HIRE_WINDOWS.rows(ds, [company])


def own_hire_counts(ds: Dataset, company: str | None, source_id: str) -> int:
    (n,), = OWN_HIRE_COUNTS.rows(ds, [company, source_id])
    return int(n)


def team_variants(ds: Dataset, company: str) -> str:
    """companies.csv's founding-team definitions of a company ("" when it lists none)."""
    found = first(TEAM_VARIANTS.rows(ds, [company]))
    return "" if found is None else str(found[0])


def publisher(ds: Dataset, source_id: str) -> str:
    return str(PUBLISHER.rows(ds, [source_id])[0][0])


def records(ds: Dataset, company: str, table: str, cohort: str | None = None) -> int:
    """How many of a company's records RECORDS counts for `table` (people of one cohort, if given)."""
    (n,), = RECORDS[table].rows(ds, [company, *([cohort] if cohort else [])],
                                cohort=" AND cohort = ?" if cohort else "", events=events_table(ds) if table == "conflicts" else "")
    return int(n)


def has_reasons(ds: Dataset, company: str | None = None) -> bool:
    """Whether any source gives a reason for leaving (at `company`, or anywhere)."""
    where, params = ("AND company = ?", [company]) if company else ("", [])
    return bool(REASONS_GIVEN.rows(ds, params, where=where)[0][0])


def sighting(ds: Dataset, scope: Scope, person_id: str, spell: int | None = None) -> tuple | None:
    """(name, spell, last day seen, end's earliest day) of a person's latest spell at the scope's company as of its
    day (or of the spell named), or None."""
    spells = day_spells(ds, scope)
    if spell is None:
        return first(LATEST_SIGHTING.rows(ds, [scope.company, person_id, scope.day], spells=spells))
    return first(SPELL_SIGHTING.rows(ds, [scope.company, person_id, scope.day, spell], spells=spells))


def first_join(ds: Dataset, scope: Scope, person_id: str) -> tuple | None:
    """(name, start's earliest and latest day, their sources) of a person's first spell in the scope, or None."""
    where, params = scope.where()
    return first(FIRST_JOIN.rows(ds, [*params, scope.day, person_id], spells=day_spells(ds, scope), where=where))


def interruptions(ds: Dataset, scope: Scope, person_id: str) -> tuple | None:
    """(name, interruptions) of a person at the scope's company as of its day, or None."""
    return first(INTERRUPTIONS.rows(ds, [scope.company, person_id], lasting=lasting_table(ds, scope)))


def base_rate(ds: Dataset, rate_id: str) -> dict | None:
    """One base rate's row by column name, or None."""
    found = first(BASE_RATE.rows(ds, [rate_id]))
    return None if found is None else dict(zip(BASE_RATE.columns, found))


def rate_ids(ds: Dataset, with_horizon: bool = False) -> list[str]:
    """Every base rate's id (only those read at a horizon, with `with_horizon`), in file order."""
    return [rate for rate, years in RATE_IDS.rows(ds) if years is not None or not with_horizon]


def claims(ds: Dataset, claim_id: str | None = None) -> list[tuple]:
    """The claims (or the one named), in file order, as CLAIMS' columns."""
    if claim_id is None:
        return CLAIMS.rows(ds, where="")
    return CLAIMS.rows(ds, [claim_id], where="WHERE c.claim_id = ? ")


def claims_to_check(ds: Dataset) -> list[dict[str, object]]:
    """Every claim in file order, by CLAIMS_TO_CHECK's column names."""
    return [dict(zip(CLAIMS_TO_CHECK.columns, row)) for row in CLAIMS_TO_CHECK.rows(ds)]


def publication_days(ds: Dataset, after: int, until: int, company: str | None) -> list[int]:
    """The days in (after, until] on which a source about `company` (any, if None) was published."""
    about = (" AND a.company = ?", [company]) if company else ("", [])
    return [day for (day,) in PUBLICATION_DAYS.rows(ds, [after, until, *about[1]], about=about[0])]


def sources_about(ds: Dataset, day: int | None, people: Sequence[str], given: dict[str, str],
                  company: str | None) -> list[str]:
    """The sources published on `day` (undated ones for None) that speak of any of `people`, of the count or
    milestone `given` names (`count_id`, `milestone_id`), or, when none of these, of `company` (any, if None)."""
    parts, values = [], []
    if people:
        parts.append("SELECT source_id FROM evidence WHERE array_contains(?, person_id) UNION "
                     "SELECT source_id FROM moves WHERE array_contains(?, person_id)")
        values += [list(people), list(people)]
    for key, table in (("count_id", "counts"), ("milestone_id", "milestones")):
        if key in given:
            parts.append(f"SELECT source_id FROM {table} WHERE {key} = ?")
            values.append(given[key])
    if not parts:
        parts.append(f"SELECT source_id FROM ({ABOUT}) AS a" + (" WHERE company = ?" if company else ""))
        values += [company] if company else []
    when = ("s.published IS NULL", []) if day is None else ("s.published = ?", [day])
    return [s for (s,) in SOURCES_ABOUT.rows(ds, [*values, *when[1]], about=" UNION ".join(parts), when=when[0])]
