"""Where founders had worked before: people.csv's prior affiliations matched to the companies of the data.

The matching rule lives here once, as named relations in the engine: `alumni_founded` counts with it, and the
lineage tables of notebook 06 (`measures.flows`) are made from its rows. An affiliation ("OpenAI (co-founder)") is
one of the ';'-separated parts of a founder's prior_affiliations, white space at either end trimmed; without a
trailing note in brackets and in lower case, it names a company of the data when it equals the company's name
(companies.csv's, else its id) or one of its companies.csv aliases, in lower case. Where two companies claim the
same words, an alias wins over a name, a later row of companies.csv over an earlier one, and of two names the
later company in id order. Splitting a list and trimming are spelt by each engine (`Spelling.items`,
`io.checks.trimmed`, which trims what Python's str.strip does).
"""

from __future__ import annotations

from attrition.backends.duckdb import Spelling
from attrition.core.named import Relation
from attrition.io.checks import SPACE, trimmed
from attrition.io.dataset import Dataset

NOTE = rf"{SPACE}*\([^)]*\)$"
"""A trailing note in brackets ("OpenAI (co-founder)"): not part of the organisation's name."""

PRIOR = Relation("prior affiliations", ("person_id", "name", "company", "origin", "from_company"), """
    WITH named AS (
        SELECT company, words,
               row_number() OVER (PARTITION BY words ORDER BY is_alias DESC, rec DESC, company DESC) AS nth
        FROM (SELECT p.company, lower(coalesce(nullif(c.name, ''), p.company)) AS words, 0 AS is_alias, 0 AS rec
              FROM (SELECT DISTINCT company FROM people) AS p LEFT JOIN companies AS c ON c.company = p.company
              UNION ALL
              SELECT c.company, lower({alias}) AS words, 1 AS is_alias, c.rec
              FROM companies AS c{aliases}) AS k
        WHERE words <> ''),
    prior AS (
        SELECT p.rec, p.person_id, p.name, p.company, {origin} AS origin
        FROM people AS p{affiliations} WHERE p.cohort = 'founder')
    SELECT o.person_id, o.name, o.company, o.origin, coalesce(n.company, '') AS from_company
    FROM prior AS o LEFT JOIN named AS n ON n.words = lower({plain}) AND n.nth = 1
    WHERE o.origin <> ''
    ORDER BY o.rec, o.origin""")
"""One row per founder and former organisation as written (`origin`), in people.csv's order, with `from_company`:
the company of the data it names, else "" (the `{slots}` are each engine's spelling: `prior_slots`)."""

ALUMNI_LABS = Relation("alumni labs", ("company",), """
    SELECT DISTINCT company FROM ({prior}) AS p WHERE from_company = ? AND company <> from_company ORDER BY company""")
"""The other companies of the data one of whose founders had worked at a company (`prior`: PRIOR, spelt)."""

RELATIONS = (PRIOR, ALUMNI_LABS)
"""Every relation of this module, for the tests."""


def prior_slots(sql: Spelling) -> dict[str, str]:
    """PRIOR's slots in one engine's spelling: the lists split into their parts, trimmed, the note taken off."""
    return {"aliases": sql.items("coalesce(c.aliases, '')", ";", "v", "part"), "alias": trimmed(sql, "v.part"),
            "affiliations": sql.items("coalesce(p.prior_affiliations, '')", ";", "a", "part"),
            "origin": trimmed(sql, "a.part"), "plain": sql.replace_all("o.origin", NOTE, "")}


def prior_sql(sql: Spelling) -> str:
    """PRIOR as one engine runs it."""
    return PRIOR.sql(**prior_slots(sql))


def prior_affiliations(ds: Dataset):
    """PRIOR's rows as a pandas frame (for the lineage tables, which go on in pandas)."""
    return PRIOR.frame(ds, **prior_slots(ds.engine.spelling))


def alumni_labs(ds: Dataset, company: str) -> list[str]:
    """The other companies of the data (sorted ids) that a founder who had worked at `company` founded."""
    return [lab for (lab,) in ALUMNI_LABS.rows(ds, [company], prior=prior_sql(ds.engine.spelling))]
