"""The checks every canonical table must pass, run as SQL over whole tables in the engine.

Each check is one query that returns the offending records (record number, column, value, message);
nothing loops over rows in Python. Cell checks turn the text table `raw_<name>` into the typed table
`<name>` (dates as integer day numbers); then references between tables and the structure of each
person's spells are checked. Line numbers are attached only to records that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from attrition.backends.duckdb import Engine
from attrition.schema import (
    END_EVENTS,
    EPOCH,
    FIRST_DAY,
    LAST_DAY,
    MAX_FIELD_CHARS,
    SLUG_PATTERN,
    START_EVENTS,
    Column,
    TableSpec,
    day_number,
)

CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
"""Control characters: invisible, and a way to smuggle terminal escapes into outputs. Tab and newlines are allowed."""
SPACE = r"[\s\p{Z}\x0b\x1c-\x1f\x{85}]"
"""Every character Python counts as white space (str.isspace), trimmed from both ends of each cell."""
DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


@dataclass(frozen=True)
class Finding:
    """A failed check before its line number is known: which table, which record, what is wrong."""

    table: str
    rec: int
    column: str | None
    value: str | None
    message: str
    first_rec: int | None = None
    """For a duplicate: the record that first used the key (its line is named in the message)."""


def _q(name: str) -> str:
    """A column name quoted for SQL (some, like `end`, are reserved words)."""
    return '"' + name.replace('"', '""') + '"'


def _raw(name: str) -> str:
    """The column holding a typed column's text as written, kept for messages until the checks are done."""
    return _q(f"_text_{name}")


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _parsed(column: Column, text: str) -> str:
    """SQL turning a cell's text into its typed value: a day number for dates, an integer for ints."""
    if column.kind == "date":
        return (f"CASE WHEN regexp_full_match({text}, '{DATE_TEXT}') THEN CAST(datediff('day', DATE '{EPOCH}', "
                f"CAST(try_strptime({text}, '%Y-%m-%d') AS DATE)) AS INTEGER) END")
    return f"CASE WHEN regexp_full_match({text}, '[0-9]{{1,9}}') THEN CAST({text} AS BIGINT) END"


def _cell_checks(column: Column, freeze: date | None) -> list[tuple[str, str]]:
    """(condition, message SQL) pairs for one column of the typed table; the condition selects failing records."""
    typed = column.kind in ("date", "int")
    c, text = _q(column.name), _raw(column.name) if typed else _q(column.name)
    checks = [(f"length({text}) > {MAX_FIELD_CHARS}", _lit(f"is longer than {MAX_FIELD_CHARS:,} characters"))]
    if column.required:
        checks.append((f"{text} = ''", _lit("must not be empty")))
    filled = f"{text} <> '' AND "
    if column.kind == "slug":
        checks.append((filled + f"NOT regexp_full_match({c}, '{SLUG_PATTERN}')",
                       _lit("must be a slug: lower-case ASCII letters, digits and single hyphens")))
    elif column.kind == "enum":
        allowed = ", ".join(_lit(v) for v in column.values)
        checks.append((filled + f"{c} NOT IN ({allowed})", _lit(f"must be one of {', '.join(column.values)}")))
    elif column.kind == "int":
        at_least = f" of at least {column.minimum}" if column.minimum else ""
        checks.append((filled + f"({c} IS NULL OR {c} < {column.minimum})",
                       _lit(f"must be a whole number{at_least}, written with the digits 0-9 (at most 9 of them)")))
    elif column.kind == "url":
        checks.append((filled + f"NOT regexp_full_match({c}, '(?i)https?://[^\\s]+')",
                       _lit("must be a web address starting with http:// or https://")))
    elif column.kind == "date":
        first, last = day_number(FIRST_DAY), day_number(LAST_DAY)
        checks.append((filled + f"{c} IS NULL", _lit("is not a valid ISO date (YYYY-MM-DD)")))
        checks.append((f"{c} < {first} OR {c} > {last}", _lit(f"is outside the supported range {FIRST_DAY} to {LAST_DAY}")))
        if freeze is not None:
            checks.append((f"{c} BETWEEN {first} AND {last} AND {c} > {day_number(freeze)}",
                           _lit(f"is after the dataset's freeze date {freeze.isoformat()}")))
    return checks


def check_cells(engine: Engine, spec: TableSpec, freeze: date | None) -> list[Finding]:
    """Trim every cell, type it, check it against its column's kind: `raw_<name>` becomes table `<name>`.

    `rec` is the raw table's row id: its record number, as the reader stored the records in file order."""
    name = spec.name
    cells = []
    for column in spec.columns:
        c = _q(column.name)
        trimmed = (f"CASE WHEN padded THEN regexp_replace(coalesce({c}, ''), '^{SPACE}+|{SPACE}+$', '', 'g') "
                   f"ELSE coalesce({c}, '') END")
        if column.kind in ("date", "int"):
            cells += [f"{trimmed} AS {_raw(column.name)}", f"{_parsed(column, _raw(column.name))} AS {_q(column.name)}"]
        else:
            cells.append(f"{trimmed} AS {_q(column.name)}")
    texts = [_raw(c.name) if c.kind in ("date", "int") else _q(c.name) for c in spec.columns]
    blank = " AND ".join(f"{t} = ''" for t in texts)
    joined = "concat_ws('|', " + ", ".join(f"coalesce({_q(c)}, '')" for c in spec.column_names) + ")"
    padding = f"(^|[|]){SPACE}|{SPACE}($|[|])"  # a cell's first or last character is white space
    # One pass of the text finds the few records that may need trimming or hold a control character;
    # only those are looked at again (a '|' inside a cell can only make a record look padded when it is not).
    engine.run(f"""
        CREATE OR REPLACE TABLE {name} AS
        SELECT * EXCLUDE (suspect),
               CASE WHEN suspect THEN regexp_matches(concat({', '.join(texts)}), '{CONTROL}') ELSE false END AS _control
        FROM (SELECT rec, suspect, {', '.join(cells)} FROM
                (SELECT *, CASE WHEN suspect THEN regexp_matches({joined}, '{padding}') ELSE false END AS padded FROM
                    (SELECT rowid AS rec, *, regexp_matches({joined}, '{padding}|{CONTROL}') AS suspect FROM raw_{name})
                 AS s) AS r) AS t
        WHERE NOT ({blank}); DROP TABLE raw_{name}""")
    parts = []
    for column, text in zip(spec.columns, texts):
        for condition, message in _cell_checks(column, freeze):
            parts.append(f"SELECT rec, {_lit(column.name)} AS col, {text} AS value, {message} AS message "
                         f"FROM {name} WHERE {condition}")
    for column, text in zip(spec.columns, texts):
        parts.append(f"SELECT rec, {_lit(column.name)}, {text}, printf('contains an invisible control character "
                     f"(U+%04X); remove it', unicode(regexp_extract({text}, '{CONTROL}'))) FROM {name} "
                     f"WHERE _control AND regexp_matches({text}, '{CONTROL}')")
    for lo_name, hi_name in spec.intervals:
        lo, hi = _q(lo_name), _q(hi_name)
        parts.append(f"SELECT rec, {_lit(hi_name)}, {_raw(hi_name)}, {_lit(hi_name + ' is before ' + lo_name + ' (')} "
                     f"|| {_raw(lo_name)} || ')' FROM {name} WHERE {hi} < {lo}")
    findings = [Finding(name, rec, col, _shown(value), message)
                for rec, col, value, message in engine.rows(" UNION ALL ".join(parts) + " ORDER BY rec")]
    findings += _duplicates(engine, spec)
    engine.run("; ".join(f"ALTER TABLE {name} DROP COLUMN {column}" for column in
                         ["_control", *(_raw(c.name) for c in spec.columns if c.kind in ("date", "int"))]))
    return findings


def _shown(value: str | None) -> str | None:
    """A value as quoted in a message: long ones are cut, so one bad cell cannot flood the terminal."""
    return value if value is None or len(value) <= 200 else value[:200] + "…"


def _duplicates(engine: Engine, spec: TableSpec) -> list[Finding]:
    """Rows repeating an earlier row's key; one GROUP BY finds the repeated keys, a join their rows."""
    if not spec.key:
        return []
    key = ", ".join(map(_q, spec.key))
    match = " AND ".join(f"t.{_q(k)} IS NOT DISTINCT FROM d.{_q(k)}" for k in spec.key)
    rows = engine.rows(
        f"WITH d AS (SELECT {key}, min(rec) AS first_rec FROM {spec.name} GROUP BY {key} HAVING count(*) > 1) "
        f"SELECT t.rec, d.first_rec, {', '.join(f't.{_q(k)}' for k in spec.key)} FROM {spec.name} AS t "
        f"JOIN d ON {match} WHERE t.rec > d.first_rec ORDER BY t.rec")
    findings = []
    for rec, first_rec, *values in rows:
        described = ", ".join(f"{k}={v}" for k, v in zip(spec.key, values))
        findings.append(Finding(spec.name, rec, spec.key[-1], values[-1], f"duplicate id ({described})", first_rec))
    return findings


def check_references(engine: Engine, spec: TableSpec) -> list[Finding]:
    """Every id a table uses must be defined in the table that owns it (e.g. a source_id in sources)."""
    findings = []
    for ref in spec.references:
        match = " AND ".join(f"u.{_q(t)} = x.{_q(c)}" for c, t in zip(ref.columns, ref.target))
        cols = ", ".join(f"x.{_q(c)}" for c in ref.columns)
        named = " AND ".join(f"x.{_q(c)} <> ''" for c in ref.columns) if ref.optional else "true"
        for rec, *values in engine.rows(
                f"SELECT x.rec, {cols} FROM {spec.name} AS x WHERE {named} AND NOT EXISTS "
                f"(SELECT 1 FROM {ref.table} AS u WHERE {match}) ORDER BY x.rec"):
            row = dict(zip(ref.columns, values))
            findings.append(Finding(spec.name, rec, ref.columns[0], values[0], ref.message.format(**row)))
    return findings


def check_spells(engine: Engine) -> list[Finding]:
    """Each person's spells start with a join, then returns in order, each after the previous end.

    Refused: a person with no sourced join; a start event of the wrong kind for its spell; a spell
    with no start; an end before its start; a spell number that skips one; a return while the
    previous spell has no end, or before that end; an observation outside its spell; a founding-team
    variant letter in people.csv that companies.csv does not define; a correction resting on a source
    sources.csv does not have (its page links every one).
    """
    starts, ends = ", ".join(map(_lit, START_EVENTS)), ", ".join(map(_lit, END_EVENTS))
    queries = {
        "people": ["""
            SELECT p.rec, 'person_id', p.person_id,
                   'no join row in evidence.csv for spell 1; every person needs a sourced join'
            FROM people AS p WHERE NOT EXISTS (SELECT 1 FROM evidence AS e WHERE e.person_id = p.person_id
                AND e.company = p.company AND e.spell = 1 AND e.event = 'join')""",
            """SELECT p.rec, 'team_variants', p.team_variants,
                   printf('team variant %s is not defined for %s: companies.csv team_variants must describe it ("%s: ...")',
                          v.letter, p.company, v.letter)
            FROM people AS p, LATERAL (SELECT trim(unnest(string_split(p.team_variants, ';'))) AS letter) AS v
            WHERE v.letter <> '' AND NOT EXISTS (SELECT 1 FROM companies AS c WHERE c.company = p.company
                AND regexp_matches(coalesce(c.team_variants, ''), '(^|;) *' || v.letter || ': '))"""],
        "moves": [
            """SELECT m.rec, 'spell', CAST(m.spell AS VARCHAR),
                   printf('a move follows a departure, but spell %d of %s has no leave or step_back row',
                          m.spell, m.person_id)
                FROM moves AS m WHERE m.spell IS NOT NULL AND NOT EXISTS (SELECT 1 FROM spell_ends AS x
                    WHERE x.person_id = m.person_id AND x.company = m.company AND x.spell = m.spell)""",
            f"""SELECT m.rec, 'latest', strftime(DATE '{EPOCH}' + m.latest, '%Y-%m-%d'),
                   printf('the move is dated before the spell started (%s)',
                          strftime(DATE '{EPOCH}' + s.start_lo, '%Y-%m-%d'))
                FROM moves AS m JOIN starts AS s USING (person_id, company, spell) WHERE m.latest < s.start_lo""",
        ],
        "corrections": ["""
            SELECT c.rec, 'source_ids', c.source_ids,
                   printf('unknown source_id %s: list ids from sources.csv, separated by ; without spaces', v.id)
            FROM corrections AS c, LATERAL (SELECT unnest(string_split(c.source_ids, ';')) AS id) AS v
            WHERE v.id <> '' AND NOT EXISTS (SELECT 1 FROM sources AS s WHERE s.source_id = v.id)"""],
        "evidence": [
            f"""SELECT e.rec, 'earliest', strftime(DATE '{EPOCH}' + e.earliest, '%Y-%m-%d'),
                   printf('a source cannot show someone still there after it was published (%s)',
                          strftime(DATE '{EPOCH}' + s.published, '%Y-%m-%d'))
                FROM ev AS e JOIN sources AS s USING (source_id)
                WHERE e.event = 'observed' AND s.published IS NOT NULL AND e.earliest > s.published""",
            f"""SELECT rec, 'event', event,
                   CASE WHEN spell = 1 THEN 'spell 1 starts with a join'
                        ELSE printf('spell %d starts with a return', spell) END
                FROM ev WHERE event IN ({starts}) AND event <> CASE WHEN spell = 1 THEN 'join' ELSE 'return' END""",
            """SELECT min(rec), 'spell', CAST(spell AS VARCHAR),
                   printf('spell %d of %s has no return row to start it', spell, person_id)
                FROM ev GROUP BY person_id, company, spell
                HAVING spell > 1 AND sum(CASE WHEN event = 'return' THEN 1 ELSE 0 END) = 0""",
            f"""SELECT e.rec, 'latest', strftime(DATE '{EPOCH}' + e.latest, '%Y-%m-%d'),
                   printf('%s ends before the %s starts (%s)', e.event, s.start_event,
                          strftime(DATE '{EPOCH}' + s.start_lo, '%Y-%m-%d'))
                FROM ev AS e JOIN starts AS s USING (person_id, company, spell)
                WHERE e.event IN ({ends}) AND e.latest < s.start_lo""",
            f"""SELECT e.rec, 'earliest', strftime(DATE '{EPOCH}' + e.earliest, '%Y-%m-%d'),
                   printf('observed before the %s starts (%s)', s.start_event,
                          strftime(DATE '{EPOCH}' + s.start_lo, '%Y-%m-%d'))
                FROM ev AS e JOIN starts AS s USING (person_id, company, spell)
                WHERE e.event = 'observed' AND e.latest < s.start_lo""",
            f"""SELECT e.rec, 'earliest', strftime(DATE '{EPOCH}' + e.earliest, '%Y-%m-%d'),
                   printf('observed after the spell ended (%s)', strftime(DATE '{EPOCH}' + x.end_hi, '%Y-%m-%d'))
                FROM ev AS e JOIN spell_ends AS x USING (person_id, company, spell)
                WHERE e.event = 'observed' AND e.earliest > x.end_hi""",
            """SELECT min(e.rec), 'spell', CAST(e.spell AS VARCHAR),
                   printf('spell %d of %s follows no spell %d: number spells 1, 2, 3 in order', e.spell, e.person_id,
                          e.spell - 1)
                FROM ev AS e WHERE e.spell > 1 AND NOT EXISTS (SELECT 1 FROM ev AS p WHERE p.person_id = e.person_id
                    AND p.company = e.company AND p.spell = e.spell - 1)
                GROUP BY e.person_id, e.company, e.spell""",
            """SELECT e.rec, 'event', e.event,
                   printf('a return needs spell %d to have ended first: add its leave or step_back row', e.spell - 1)
                FROM ev AS e WHERE e.event = 'return'
                  AND EXISTS (SELECT 1 FROM ev AS p WHERE p.person_id = e.person_id AND p.company = e.company
                              AND p.spell = e.spell - 1)
                  AND NOT EXISTS (SELECT 1 FROM spell_ends AS x WHERE x.person_id = e.person_id
                                  AND x.company = e.company AND x.spell = e.spell - 1)""",
            f"""SELECT e.rec, 'latest', strftime(DATE '{EPOCH}' + e.latest, '%Y-%m-%d'),
                   printf('return is dated before spell %d ends (%s): spells of one person may not overlap',
                          e.spell - 1, strftime(DATE '{EPOCH}' + x.end_lo, '%Y-%m-%d'))
                FROM ev AS e JOIN spell_ends AS x ON x.person_id = e.person_id AND x.company = e.company
                    AND x.spell = e.spell - 1
                WHERE e.event = 'return' AND e.latest < x.end_lo""",
        ],
    }
    engine.run("CREATE OR REPLACE VIEW ev AS SELECT * FROM evidence "
               "WHERE earliest IS NOT NULL AND latest IS NOT NULL AND spell IS NOT NULL")
    engine.table("starts", f"""SELECT person_id, company, spell, min(event) AS start_event, min(earliest) AS start_lo
                               FROM ev WHERE event IN ({starts}) GROUP BY person_id, company, spell""")
    engine.table("spell_ends", f"""SELECT person_id, company, spell, min(earliest) AS end_lo, max(latest) AS end_hi
                                   FROM ev WHERE event IN ({ends}) GROUP BY person_id, company, spell""")
    findings = []
    for table, parts in queries.items():
        rows = engine.rows(" UNION ALL ".join(parts) + " ORDER BY 1")
        findings += [Finding(table, rec, col, value, message) for rec, col, value, message in rows]
    engine.run("DROP VIEW ev; DROP TABLE starts; DROP TABLE spell_ends")
    return findings
