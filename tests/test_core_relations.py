"""The core's named relations (`lookups`, `departures`, `lineage`) give the columns they declare: each is run on the
shipped data in DuckDB, and the columns the engine reports are held to the declaration the measures and claims unpack
by (`Relation.columns`); each example finds at least one row, so none is checked on an empty answer alone."""

from __future__ import annotations

import pytest

from attrition import load
from attrition.core import departures, lineage, lookups, relations
from attrition.core.scope import Scope
from attrition.core.tables import day_spells, events_table, id_lists, lasting_table, milestones_table, spells_table


RELATIONS = (*lookups.RELATIONS, *departures.RELATIONS, *lineage.RELATIONS)


@pytest.fixture(scope="module")
def shipped():
    return load()


@pytest.fixture(scope="module")
def examples(shipped) -> dict[str, tuple[dict[str, str], list]]:
    return _examples(shipped)


def _examples(ds) -> dict[str, tuple[dict[str, str], list]]:
    """For each relation, by name: the derived tables it reads and values to ask about, taken from the shipped data
    so that each finds at least one row."""
    company, person, kind, spell, source_ids = ds.engine.rows(
        f"SELECT company, person_id, event, spell, source_ids FROM {events_table(ds)} "
        "ORDER BY company, person_id, spell, event LIMIT 1")[0]
    count_id, hires_company, start, end, hires_source = ds.engine.rows(
        'SELECT count_id, company, "start", "end", source_id FROM counts WHERE measure = \'hires\' ORDER BY rec LIMIT 1')[0]
    milestone_company, milestone_id = ds.engine.rows("SELECT company, milestone_id FROM milestones ORDER BY rec LIMIT 1")[0]
    (rate_id,), = ds.engine.rows("SELECT rate_id FROM base_rates ORDER BY rec LIMIT 1")
    (hires_published,), = ds.engine.rows("SELECT published FROM sources WHERE source_id = ?", [hires_source])
    claim_id, published = ds.engine.rows(
        "SELECT c.claim_id, s.published FROM claims AS c JOIN sources AS s ON s.source_id = c.source_id "
        "WHERE s.published IS NOT NULL ORDER BY c.rec LIMIT 1")[0]
    when, day = ("s.published IS NULL", []) if hires_published is None else ("s.published = ?", [hires_published])
    freeze = Scope.at_freeze(ds, company)
    where, params = freeze.where()
    spells, lasting = day_spells(ds, freeze), lasting_table(ds, freeze)
    events, milestones = events_table(ds), milestones_table(ds)
    cohort = ds.engine.rows("SELECT cohort FROM people WHERE company = ? AND person_id = ?", [company, person])[0][0]
    founders = Scope.of(ds, company, "founder")
    latest, latest_where, latest_params = departures.latest(ds, founders)
    (leaver,), = ds.engine.rows(f"SELECT min(person_id) FROM {latest} {latest_where} AND status = 'departed'", latest_params)
    lists = id_lists(ds, {"earlier": "true", "maybe_earlier": "false"})
    destinations, destination_params = departures.destinations(ds, Scope.of(ds))
    founder_where, founder_params = founders.where()
    joined = f"(SELECT s.*, 'A' AS variant FROM {latest} AS s {latest_where}) AS joined"
    (returner_company,), = ds.engine.rows("SELECT min(company) FROM evidence WHERE event = 'return'")
    returned = Scope.at_freeze(ds, returner_company)
    returned_where, returned_params = returned.where()
    returned_spells = day_spells(ds, returned)
    windows = ds.engine.load_integers("example_windows", {"nth": [0, 1], "first_day": [freeze.day - 3650, 0],
                                                          "after_day": [freeze.day + 1, freeze.day + 1]})
    prior = lineage.prior_slots(ds.engine.spelling)
    (alumni_of,), = ds.engine.rows(f"SELECT min(from_company) FROM ({lineage.PRIOR.sql(**prior)}) AS p "
                                   "WHERE from_company NOT IN ('', company)")
    return {
        "person": ({}, [company, person]),
        "event": ({"events": events}, [company, person, kind, spell]),
        "event sources": ({"events": events}, [company, person, kind]),
        "milestone": ({"milestones": milestones}, [milestone_company, milestone_id]),
        "listed milestone": ({}, [milestone_company, milestone_id]),
        "reported count": ({}, [count_id]),
        "reported hires": ({}, [hires_company, start, end]),
        "reported hire windows": ({}, [hires_company]),
        "own hire counts": ({}, [hires_company, hires_source]),
        "team variants": ({}, [ds.engine.rows("SELECT min(company) FROM companies WHERE team_variants <> ''")[0][0]]),
        "publisher": ({}, [source_ids.split(";")[0]]),
        "people": ({"cohort": " AND cohort = ?"}, [company, cohort]),
        "evidence": ({}, [company]),
        "sources cited": ({}, [company]),
        "conflicts": ({"events": events}, [company]),
        "reasons given": ({"where": ""}, []),
        "latest sighting": ({"spells": spells}, [company, person, freeze.day]),
        "spell sighting": ({"spells": spells}, [company, person, freeze.day, spell]),
        "first join": ({"spells": spells, "where": where}, [*params, freeze.day, person]),
        "interruptions": ({"lasting": lasting}, [company, person]),
        "base rate": ({}, [rate_id]),
        "base rate ids": ({}, []),
        "claims": ({"where": "WHERE c.claim_id = ? "}, [claim_id]),
        "claims to check": ({}, []),
        "publication days": ({"about": " AND a.company = ?"}, [published - 1, published, company_of(ds, claim_id)]),
        "leaver": ({"spells": latest, "where": latest_where}, [*latest_params, leaver]),
        "ranked": ({"spells": latest, "where": latest_where, **lists}, latest_params),
        "gone within": ({"cutoff": founders.day, "days": 1095.75, "lasting": lasting_table(ds, founders),
                         "where": founder_where}, founder_params),
        "busiest window": ({"spells": spells_table(ds, founders), "where": founder_where, "last": 60}, founder_params),
        "destinations": ({"left": relations.readings(lasting_table(ds, founders), founders.day, "person_id, company",
                                                     founder_where, only=("midpoint",))}, founder_params),
        "flows": ({"destinations": destinations}, destination_params),
        "destination totals": ({"destinations": destinations}, destination_params),
        "variant names": ({"joined": joined}, latest_params),
        "rehires": ({"spells": returned_spells, "where": returned_where, **id_lists(ds, {"returners": "back = 1"})},
                    [*returned_params, returned.day]),
        "returns": ({"spells": returned_spells, "where": returned_where, "group": ""}, [*returned_params, returned.day]),
        "sources about": ({"about": "SELECT source_id FROM counts WHERE count_id = ?", "when": when}, [count_id, *day]),
        "leavers in windows": ({"windows": windows, "readings": relations.readings(
            lasting, freeze.day, "start_lo + start_hi AS start_2, end_lo + end_hi AS end_2", where,
            only=("midpoint",))}, params),
        "joins in windows": ({"windows": windows, "spells": spells_table(ds, freeze), "where": where}, params),
        "prior affiliations": (prior, []),
        "alumni labs": ({"prior": lineage.PRIOR.sql(**prior)}, [alumni_of]),
    }


def company_of(ds, claim_id: str) -> str:
    """The company a claim's source speaks of (any one), for a day on which a source about it was published."""
    return ds.engine.rows(f"SELECT a.company FROM claims AS c JOIN ({lookups.ABOUT}) AS a ON a.source_id = c.source_id "
                          "WHERE c.claim_id = ? ORDER BY 1 LIMIT 1", [claim_id])[0][0]


def test_every_relation_has_an_example_and_a_unique_name(examples) -> None:
    names = [relation.name for relation in RELATIONS]
    assert len(names) == len(set(names))
    assert set(names) == set(examples)


@pytest.mark.parametrize("relation", RELATIONS, ids=lambda relation: relation.name)
def test_each_relation_gives_the_columns_it_declares(shipped, examples, relation) -> None:
    tables, params = examples[relation.name]
    sql = relation.sql(**tables)
    assert [name for name, _ in shipped.engine.columns(sql, params)] == list(relation.columns)
    assert relation.rows(shipped, params, **tables), f"the example for {relation.name} finds no row"
