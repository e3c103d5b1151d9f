"""The data as it was known on a day: only what sources published by then say (a "vintage", as economic
statistics call a release).

Every fact rests on a source with a publication date, so the data can be replayed as known on any day D:
a source counts when it was published on or before D; one without a publication date cannot be placed
in time and is left out (and counted). Evidence, milestones, counts, moves and base rates keep the rows
of the sources that count; a person is known once a counted source names their joining; a move once
the departure it follows is known. Claims are the questions, not the evidence: every claim about a day
up to D stays, checked on what was known. Each rule is one query over the full tables, run as a view,
so a vintage copies no row (`attrition.io.dataset.known_as_of`), on DuckDB or on Spark.
"""

from __future__ import annotations

from attrition.schema import END_EVENTS, TABLES

ENDS = ", ".join(f"'{e}'" for e in END_EVENTS)


def views(rule: str, day: int, base: str, known: str) -> dict[str, str]:
    """Each canonical table with only the sources meeting `rule` (a condition on sources.csv's rows: `published <=
    day` for the data as known on a day) counting, and only claims and corrections up to `day`, as a query over the
    full tables (named `<base><table>`) and the views made before it (`<known><table>`), in the order they must be
    made (see Engine.prefixes)."""
    counted = f"SELECT source_id FROM {known}sources"
    from_counted = lambda table: f"SELECT * FROM {base}{table} WHERE source_id IN ({counted})"  # noqa: E731
    known_person = (f"EXISTS (SELECT 1 FROM {known}people AS p WHERE p.person_id = t.person_id "
                    "AND p.company = t.company)")
    rules = {
        "sources": f"SELECT * FROM {base}sources WHERE {rule}",
        "people": f"""SELECT * FROM {base}people AS p WHERE EXISTS (SELECT 1 FROM {base}evidence AS e
                      WHERE e.person_id = p.person_id AND e.company = p.company AND e.spell = 1 AND e.event = 'join'
                      AND e.source_id IN ({counted}))""",
        "evidence": f"SELECT * FROM {base}evidence AS t WHERE source_id IN ({counted}) AND {known_person}",
        "milestones": from_counted("milestones"),
        "counts": from_counted("counts"),
        "claims": f"SELECT * FROM {base}claims WHERE as_of <= {day}",
        "companies": f"SELECT * FROM {base}companies",
        "moves": f"""SELECT * FROM {base}moves AS t WHERE source_id IN ({counted}) AND {known_person}
                     AND EXISTS (SELECT 1 FROM {known}evidence AS e WHERE e.person_id = t.person_id
                                 AND e.company = t.company AND e.spell = t.spell AND e.event IN ({ENDS}))""",
        "corrections": f"SELECT * FROM {base}corrections WHERE edition <= {day}",
        "base_rates": from_counted("base_rates"),
    }
    return {name: rules[name] for name in TABLES}  # a table added to the schema needs its rule here


def left_out(day: int, base: str, known: str) -> str:
    """What a vintage leaves out, counted, as one query (see `summary`): sources without a date, sources published
    later, and the evidence rows and people that go with them."""
    return f"""
    SELECT count(CASE WHEN published IS NULL THEN 1 END), count(CASE WHEN published > {day} THEN 1 END),
           count(CASE WHEN published <= {day} THEN 1 END),
           (SELECT count(*) FROM {base}evidence), (SELECT count(*) FROM {known}evidence),
           (SELECT count(*) FROM {base}people), (SELECT count(*) FROM {known}people)
    FROM {base}sources"""


def summary(row: tuple) -> dict[str, int]:
    """`left_out`'s row as named counts."""
    keys = ("sources_undated", "sources_later", "sources_used", "evidence_rows", "evidence_rows_used", "people",
            "people_known")
    return dict(zip(keys, (int(v) for v in row)))


def note(day: str, counts: dict[str, int]) -> str:
    """The counts in a sentence, for the command line: what the answer rests on and what it leaves out."""
    return (f"known as of {day}: {counts['sources_used']:,} sources published by then "
            f"({counts['sources_undated']:,} without a publication date and {counts['sources_later']:,} published later "
            f"are left out), {counts['evidence_rows_used']:,} of {counts['evidence_rows']:,} evidence rows, "
            f"{counts['people_known']:,} of {counts['people']:,} people")
