"""The checks every canonical table must pass, run as SQL over whole tables in the engine.

One typed pass per table reads its text (straight from the CSV reader, or from a table of text) and
writes the typed table: cells trimmed, dates as integer day numbers, and a flag on every record
that may break a rule. The pass decides with cheap tests that never pass a bad cell (a date must
turn back into the very text it came from, a slug match its pattern...), so on clean data nothing
else reads the table; each rule's own query, with its message, runs over the flagged records only.
Then references between tables and the structure of each person's spells are checked. Every query
returns the offending records (record number, column, value, message); nothing loops over rows in
Python, and line numbers are attached only to records that failed.

The SQL is the engine's own where engines differ (`Engine.spelling`: regular expressions, dates,
hashes), so the same checks run on DuckDB, which reads the CSV files, and on Spark, for a roster
kept as Parquet on a cluster (`attrition.io.dataset.check_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from attrition.backends.duckdb import Engine, Spelling
from attrition.schema import (
    END_EVENTS,
    FIRST_DAY,
    LAST_DAY,
    MAX_FIELD_CHARS,
    SLUG_PATTERN,
    START_EVENTS,
    TABLES,
    Column,
    TableSpec,
    day_number,
)

CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
"""Control characters: invisible, and a way to smuggle terminal escapes into outputs. Tab and newlines are allowed."""
SPACE = r"[\s\p{Z}\x0b\x1c-\x1f\x{85}]"
"""Every character Python counts as white space (str.isspace), trimmed from both ends of each cell."""
JOINER = "\uffff"
"""Joins a record's text cells for one test of them all: a noncharacter, which Unicode keeps for a program's own use
and out of text (a cell that has one anyway can only flag a clean record, never let a bad one through)."""
EDGES = rf"(^|\x{{ffff}}){SPACE}|{SPACE}($|\x{{ffff}})"
"""White space at either end of a cell of a record's joined text cells."""
DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
WHOLE_NUMBER = "[0-9]{1,9}"
NUMBER_TEXT = r"[0-9]{1,9}([.][0-9]{1,9})?"
"""A decimal: digits, and at most one decimal point with digits after it."""
URL = r"(?i)https?://[^\t\n\f\r ]+"
"""A web address: RE2's \\s spelt out (Java's \\s also matches \\x0b), so that every engine reads it alike."""
TEXT_KINDS = ("text", "slug", "enum", "url")
"""Kinds whose typed value is the trimmed text itself."""
TYPED = ("date", "int", "number")
"""Kinds whose text is parsed into another type; the text of a flagged record is kept beside it for messages."""


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
    """The column holding a typed column's text as written, kept for the messages of flagged records."""
    return _q(f"_text_{name}")


def rows_of(name: str) -> str:
    """The stored table behind the canonical table `name`: the typed columns, the flags and, for flagged
    records, the text of typed cells."""
    return f"{name}_rows"


def trimmed(sql: Spelling, text: str) -> str:
    """A cell without white space at either end (what every rule sees)."""
    return sql.replace_all(text, f"^{SPACE}+|{SPACE}+$", "")


def strict_day(sql: Spelling, text: str) -> str:
    """The day number of an ISO date (YYYY-MM-DD, a real calendar day), else NULL. (Year 0000 reads as 1 BC on
    DuckDB, as its strptime reads it, and so is out of range; Spark has no year 0 and calls it not a date.)"""
    day = sql.day(text)
    return (f"CASE WHEN {sql.full_match(text, DATE_TEXT)} AND ({sql.iso(day)} = {text} OR {text} < '0001') "
            f"THEN {day} END")


def strict_number(sql: Spelling, text: str) -> str:
    return f"CASE WHEN {sql.full_match(text, WHOLE_NUMBER)} THEN CAST({text} AS BIGINT) END"


def strict_decimal(sql: Spelling, text: str) -> str:
    return f"CASE WHEN {sql.full_match(text, NUMBER_TEXT)} THEN CAST({text} AS DOUBLE) END"


def _fast(sql: Spelling, column: Column, freeze: date | None) -> tuple[str | None, str]:
    """(typed value, condition) for a cell as written (the column itself, never NULL; in the condition, the typed
    value is column `_fast_<name>`): the condition holds only where every rule of the column holds and the cell
    needs no trimming, so the typed value is then the cell's."""
    c, typed = _q(column.name), _q(f"_fast_{column.name}")
    empty_ok = f"{c} = '' OR " if not column.required else ""
    if column.kind == "slug":
        return None, f"{empty_ok}({sql.full_match(c, SLUG_PATTERN)} AND {sql.octets(c)} <= {MAX_FIELD_CHARS})"
    if column.kind == "enum":
        return None, f"{empty_ok}{c} IN ({', '.join(sql.literal(v) for v in column.values)})"
    if column.kind == "int":
        return (sql.whole_number(c),
                f"{empty_ok}({sql.as_text(typed)} = {c} AND {typed} >= {column.minimum} AND {sql.octets(c)} <= 9)")
    if column.kind == "number":
        most = "" if column.maximum is None else f" AND {typed} <= {column.maximum}"
        return strict_decimal(sql, c), f"{empty_ok}({typed} >= {column.minimum}{most})"
    if column.kind == "date":
        last = min(day_number(LAST_DAY), day_number(freeze)) if freeze is not None else day_number(LAST_DAY)
        return sql.day(c), f"{empty_ok}({sql.iso(typed)} = {c} AND {typed} BETWEEN {day_number(FIRST_DAY)} AND {last})"
    required = f" AND {c} <> ''" if column.required else ""
    pattern = f" AND ({c} = '' OR {sql.full_match(c, URL)})" if column.kind == "url" else ""
    return None, f"{sql.octets(c)} <= {MAX_FIELD_CHARS}{required}{pattern}"  # edges and controls: one test per record


def typed_table(engine: Engine, spec: TableSpec, source: str, freeze: date | None, numbered: bool) -> None:
    """One pass over the text of `spec`'s records (`source`: one text column per spec column, and `rec`, the
    record number, when `numbered`; otherwise the records in file order) into table `<name>_rows`, and the
    canonical table `<name>`: record number and typed columns, blank records left out.

    Records that may break a rule are flagged (`_flag`); their cells are trimmed and typed by the exact rules
    (`strict_day`...), and the text of their typed cells kept for messages (`cell_findings` reads them).
    """
    sql = engine.spelling
    name, columns = spec.name, spec.columns
    fast = {column.name: _fast(sql, column, freeze) for column in columns}
    tests = [f"({condition})" for _, condition in fast.values()]
    tests += [f"coalesce(NOT ({_q('_fast_' + hi)} < {_q('_fast_' + lo)}), true)" for lo, hi in spec.intervals]
    texts = [_q(c.name) for c in columns if c.kind in ("text", "url")]
    if texts:
        joined = f"concat_ws({sql.literal(JOINER)}, {', '.join(texts)})"
        tests.append(f"NOT {sql.matches(joined, f'{EDGES}|{CONTROL}')}")
    rec = "rec, " if numbered else ""
    written = ", ".join(f"coalesce({_q(c.name)}, '') AS {_q(c.name)}" for c in columns)
    fast_names = [_q(f"_fast_{n}") for n, (value, _) in fast.items() if value is not None]
    typed = "".join(f", {value} AS {_q('_fast_' + n)}" for n, (value, _) in fast.items() if value is not None)
    trim = ", ".join(f"CASE WHEN _ok THEN {_q(c.name)} ELSE {trimmed(sql, _q(c.name))} END AS {_q(c.name)}"
                     for c in columns)
    cells = []
    for column in columns:
        c = _q(column.name)
        if column.kind in TEXT_KINDS:
            cells.append(c)
            continue
        strict = {"date": strict_day, "int": strict_number, "number": strict_decimal}[column.kind](sql, c)
        cells += [f"CASE WHEN _ok THEN {_q('_fast_' + column.name)} ELSE {strict} END AS {c}",
                  f"CASE WHEN _ok THEN NULL ELSE {c} END AS {_raw(column.name)}"]
    blank = " AND ".join(f"{_q(c.name)} = ''" for c in columns)
    engine.table(rows_of(name), f"""
        SELECT {rec}{', '.join(cells)}, NOT _ok AS _flag, NOT _ok AND {blank} AS _blank
        FROM (SELECT {rec}_ok, {trim}{''.join(', ' + f for f in fast_names)}
              FROM (SELECT *, coalesce({' AND '.join(tests)}, false) AS _ok
                    FROM (SELECT {rec}{written}{typed} FROM {source}) AS written) AS tested) AS trimmed""")
    number = "rec" if numbered else "rowid AS rec"
    engine.view(name, f"SELECT {number}, {', '.join(map(_q, spec.column_names))} FROM {rows_of(name)} WHERE NOT _blank")


def _cell_checks(sql: Spelling, column: Column, freeze: date | None) -> list[tuple[str, str]]:
    """(condition, message SQL) pairs for one column of the typed table; the condition selects failing records."""
    typed = column.kind in TYPED
    c, text = _q(column.name), _raw(column.name) if typed else _q(column.name)
    lit = sql.literal
    checks = [(f"length({text}) > {MAX_FIELD_CHARS}", lit(f"is longer than {MAX_FIELD_CHARS:,} characters"))]
    if column.required:
        checks.append((f"{text} = ''", lit("must not be empty")))
    filled = f"{text} <> '' AND "
    if column.kind == "slug":
        checks.append((filled + f"NOT {sql.full_match(c, SLUG_PATTERN)}",
                       lit("must be a slug: lower-case ASCII letters, digits and single hyphens")))
    elif column.kind == "enum":
        allowed = ", ".join(lit(v) for v in column.values)
        checks.append((filled + f"{c} NOT IN ({allowed})", lit(f"must be one of {', '.join(column.values)}")))
    elif column.kind == "int":
        at_least = f" of at least {column.minimum}" if column.minimum else ""
        checks.append((filled + f"({c} IS NULL OR {c} < {column.minimum})",
                       lit(f"must be a whole number{at_least}, written with the digits 0-9 (at most 9 of them)")))
    elif column.kind == "number":
        most = "" if column.maximum is None else f" to {column.maximum:g}"
        too_big = "" if column.maximum is None else f" OR {c} > {column.maximum}"
        checks.append((filled + f"({c} IS NULL OR {c} < {column.minimum}{too_big})",
                       lit(f"must be a number from {column.minimum}{most}, written with the digits 0-9 and at most one "
                           "decimal point (e.g. 0.171)")))
    elif column.kind == "url":
        checks.append((filled + f"NOT {sql.full_match(c, URL)}",
                       lit("must be a web address starting with http:// or https://")))
    elif column.kind == "date":
        first, last = day_number(FIRST_DAY), day_number(LAST_DAY)
        checks.append((filled + f"{c} IS NULL", lit("is not a valid ISO date (YYYY-MM-DD)")))
        checks.append((f"{c} < {first} OR {c} > {last}", lit(f"is outside the supported range {FIRST_DAY} to {LAST_DAY}")))
        if freeze is not None:
            checks.append((f"{c} BETWEEN {first} AND {last} AND {c} > {day_number(freeze)}",
                           lit(f"is after the dataset's freeze date {freeze.isoformat()}")))
    return checks


def cell_findings(engine: Engine, spec: TableSpec, freeze: date | None, numbered: bool) -> list[Finding]:
    """Every rule of every cell over the records `typed_table` flagged (`rec` is the record number: with `numbered`
    a column of the source, else the record's place in the file)."""
    sql = engine.spelling
    number = "*" if numbered else "rowid AS rec, *"
    flagged = f"(SELECT {number} FROM {rows_of(spec.name)} WHERE _flag AND NOT _blank) AS flagged"
    texts = [_raw(c.name) if c.kind in TYPED else _q(c.name) for c in spec.columns]
    parts = []
    for column, text in zip(spec.columns, texts):
        for condition, message in _cell_checks(sql, column, freeze):
            parts.append((f"{sql.literal(column.name)}, {text}, {message}", condition))
    for column, text in zip(spec.columns, texts):
        control = sql.first_match(text, CONTROL)
        parts.append((f"{sql.literal(column.name)}, {text}, printf('contains an invisible control character "
                      f"(U+%04X); remove it', {sql.code_point(control)})", sql.matches(text, CONTROL)))
    for lo_name, hi_name in spec.intervals:
        message = f"{sql.literal(hi_name + ' is before ' + lo_name + ' (')} || {_raw(lo_name)} || ')'"
        parts.append((f"{sql.literal(hi_name)}, {_raw(hi_name)}, {message}", f"{_q(hi_name)} < {_q(lo_name)}"))
    union = " UNION ALL ".join(f"SELECT rec, {i} AS part, {columns} FROM {flagged} WHERE {condition}"
                               for i, (columns, condition) in enumerate(parts))
    return [Finding(spec.name, rec, col, _shown(value), message)
            for rec, _, col, value, message in engine.rows(f"{union} ORDER BY rec, part")]


def _shown(value: str | None) -> str | None:
    """A value as quoted in a message: long ones are cut, so one bad cell cannot flood the terminal."""
    return value if value is None or len(value) <= 200 else value[:200] + "…"


def duplicates(engine: Engine, spec: TableSpec) -> list[Finding]:
    """Records repeating an earlier record's key: one GROUP BY of the keys' hashes finds the few candidates, and
    only their records are compared key by key."""
    if not spec.key:
        return []
    key = ", ".join(map(_q, spec.key))
    hashed = engine.spelling.hash(key)
    candidates = f"SELECT {hashed} AS h FROM {spec.name} GROUP BY {hashed} HAVING count(*) > 1"
    if not engine.rows(f"SELECT count(*) FROM ({candidates}) AS c")[0][0]:
        return []
    table = f"(SELECT * FROM {spec.name} WHERE {hashed} IN (SELECT h FROM ({candidates}) AS c)) AS t"
    match = " AND ".join(f"t.{_q(k)} IS NOT DISTINCT FROM d.{_q(k)}" for k in spec.key)
    rows = engine.rows(
        f"WITH d AS (SELECT {key}, min(rec) AS first_rec FROM {table.removesuffix(' AS t')} AS s GROUP BY {key} "
        f"HAVING count(*) > 1) SELECT t.rec, d.first_rec, {', '.join(f't.{_q(k)}' for k in spec.key)} FROM {table} "
        f"JOIN d ON {match} WHERE t.rec > d.first_rec ORDER BY t.rec")
    findings = []
    for rec, first_rec, *values in rows:
        described = ", ".join(f"{k}={v}" for k, v in zip(spec.key, values))
        findings.append(Finding(spec.name, rec, spec.key[-1], values[-1], f"duplicate id ({described})", first_rec))
    return findings


def check_references(engine: Engine, spec: TableSpec, skip: tuple[str, ...] = ()) -> list[Finding]:
    """Every id a table uses must be defined in the table that owns it (e.g. a source_id in sources); references
    to the tables in `skip` are left out."""
    findings = []
    for ref in spec.references:
        if ref.table in skip:
            continue
        match = " AND ".join(f"u.{_q(t)} = x.{_q(c)}" for c, t in zip(ref.columns, ref.target))
        cols = ", ".join(f"x.{_q(c)}" for c in ref.columns)
        named = " AND ".join(f"x.{_q(c)} <> ''" for c in ref.columns) if ref.optional else "true"
        for rec, *values in engine.rows(
                f"SELECT x.rec, {cols} FROM {spec.name} AS x WHERE {named} AND NOT EXISTS "
                f"(SELECT 1 FROM {ref.table} AS u WHERE {match}) ORDER BY x.rec"):
            row = dict(zip(ref.columns, values))
            findings.append(Finding(spec.name, rec, ref.columns[0], values[0], ref.message.format(**row)))
    return findings


def _unknown_correction_sources(sql: Spelling) -> str:
    """FROM and WHERE for the ids of sources a correction names that sources.csv lacks (`c`: the correction,
    `v.id`: the id)."""
    return (f"FROM corrections AS c{sql.items('c.source_ids', ';', 'v', 'id')} "
            "WHERE v.id <> '' AND NOT EXISTS (SELECT 1 FROM sources AS s WHERE s.source_id = v.id)")


def check_spells(engine: Engine) -> list[Finding]:
    """Each person's spells start with a join, then returns in order, each after the previous end.

    Refused: a person with no sourced join; a start event of the wrong kind for its spell; a spell
    with no start; an end before its start; a spell number that skips one; a return while the
    previous spell has no end, or before that end; an observation outside its spell; a founding-team
    variant letter in people.csv that companies.csv does not define; a correction resting on a source
    sources.csv does not have (its page links every one).
    """
    sql = engine.spelling
    starts, ends = ", ".join(map(sql.literal, START_EVENTS)), ", ".join(map(sql.literal, END_EVENTS))
    iso = sql.iso
    queries = {
        "people": ["""
            SELECT p.rec, 'person_id', p.person_id,
                   'no join row in evidence.csv for spell 1; every person needs a sourced join'
            FROM people AS p WHERE NOT EXISTS (SELECT 1 FROM evidence AS e WHERE e.person_id = p.person_id
                AND e.company = p.company AND e.spell = 1 AND e.event = 'join')""",
            f"""SELECT p.rec, 'team_variants', p.team_variants,
                   printf('team variant %s is not defined for %s: companies.csv team_variants must describe it ("%s: ...")',
                          p.letter, p.company, p.letter)
            FROM (SELECT p.rec, p.company, p.team_variants, trim(v.part) AS letter
                  FROM people AS p{sql.items('p.team_variants', ';', 'v', 'part')}) AS p
            WHERE p.letter <> '' AND NOT EXISTS (SELECT 1 FROM companies AS c WHERE c.company = p.company
                AND {sql.matches_sql("coalesce(c.team_variants, '')", "'(^|;) *' || p.letter || ': '")})"""],
        "moves": [
            f"""SELECT m.rec, 'spell', {sql.as_text('m.spell')},
                   printf('a move follows a departure, but spell %d of %s has no leave or step_back row',
                          m.spell, m.person_id)
                FROM moves AS m WHERE m.spell IS NOT NULL AND NOT EXISTS (SELECT 1 FROM check_ends AS x
                    WHERE x.person_id = m.person_id AND x.company = m.company AND x.spell = m.spell)""",
            f"""SELECT m.rec, 'latest', {iso('m.latest')},
                   printf('the move is dated before the spell started (%s)', {iso('s.start_lo')})
                FROM moves AS m JOIN check_starts AS s ON s.person_id = m.person_id AND s.company = m.company
                    AND s.spell = m.spell WHERE m.latest < s.start_lo""",
        ],
        "corrections": [f"""
            SELECT c.rec, 'source_ids', c.source_ids,
                   printf('unknown source_id %s: list ids from sources.csv, separated by ; without spaces', v.id)
            {_unknown_correction_sources(sql)}"""],
        "evidence": [
            f"""SELECT e.rec, 'earliest', {iso('e.earliest')},
                   printf('a source cannot show someone still there after it was published (%s)', {iso('s.published')})
                FROM ev AS e JOIN sources AS s ON s.source_id = e.source_id
                WHERE e.event = 'observed' AND s.published IS NOT NULL AND e.earliest > s.published""",
            f"""SELECT rec, 'event', event,
                   CASE WHEN spell = 1 THEN 'spell 1 starts with a join'
                        ELSE printf('spell %d starts with a return', spell) END
                FROM ev WHERE event IN ({starts}) AND event <> CASE WHEN spell = 1 THEN 'join' ELSE 'return' END""",
            f"""SELECT min(rec), 'spell', {sql.as_text('spell')},
                   printf('spell %d of %s has no return row to start it', spell, person_id)
                FROM ev GROUP BY person_id, company, spell
                HAVING spell > 1 AND sum(CASE WHEN event = 'return' THEN 1 ELSE 0 END) = 0""",
            f"""SELECT e.rec, 'latest', {iso('e.latest')},
                   printf('%s ends before the %s starts (%s)', e.event, s.start_event, {iso('s.start_lo')})
                FROM ev AS e JOIN check_starts AS s ON s.person_id = e.person_id AND s.company = e.company
                    AND s.spell = e.spell
                WHERE e.event IN ({ends}) AND e.latest < s.start_lo""",
            f"""SELECT e.rec, 'earliest', {iso('e.earliest')},
                   printf('observed before the %s starts (%s)', s.start_event, {iso('s.start_lo')})
                FROM ev AS e JOIN check_starts AS s ON s.person_id = e.person_id AND s.company = e.company
                    AND s.spell = e.spell
                WHERE e.event = 'observed' AND e.latest < s.start_lo""",
            f"""SELECT e.rec, 'earliest', {iso('e.earliest')},
                   printf('observed after the spell ended (%s)', {iso('x.end_hi')})
                FROM ev AS e JOIN check_ends AS x ON x.person_id = e.person_id AND x.company = e.company
                    AND x.spell = e.spell
                WHERE e.event = 'observed' AND e.earliest > x.end_hi""",
            f"""SELECT min(e.rec), 'spell', {sql.as_text('e.spell')},
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
                  AND NOT EXISTS (SELECT 1 FROM check_ends AS x WHERE x.person_id = e.person_id
                                  AND x.company = e.company AND x.spell = e.spell - 1)""",
            f"""SELECT e.rec, 'latest', {iso('e.latest')},
                   printf('return is dated before spell %d ends (%s): spells of one person may not overlap',
                          e.spell - 1, {iso('x.end_lo')})
                FROM ev AS e JOIN check_ends AS x ON x.person_id = e.person_id AND x.company = e.company
                    AND x.spell = e.spell - 1
                WHERE e.event = 'return' AND e.latest < x.end_lo""",
        ],
    }
    engine.view("ev", "SELECT * FROM evidence WHERE earliest IS NOT NULL AND latest IS NOT NULL AND spell IS NOT NULL")
    engine.table("check_starts", f"""SELECT person_id, company, spell, min(event) AS start_event, min(earliest) AS start_lo
                                     FROM ev WHERE event IN ({starts}) GROUP BY person_id, company, spell""")
    engine.table("check_ends", f"""SELECT person_id, company, spell, min(earliest) AS end_lo, max(latest) AS end_hi
                                   FROM ev WHERE event IN ({ends}) GROUP BY person_id, company, spell""")
    findings = []
    for table, parts in queries.items():
        rows = engine.rows(" UNION ALL ".join(parts) + " ORDER BY 1")
        findings += [Finding(table, rec, col, value, message) for rec, col, value, message in rows]
    for name in ("ev", "check_starts", "check_ends"):
        engine.drop(name)
    return findings


def event_groups(sql: Spelling) -> str:
    """The evidence grouped by person, company, spell and event: the bounds its sources give (`lo_max`, `lo_min`,
    `hi_max`, `hi_min`), how many sources there are, how many distinct, and which (the engine's sorted list of
    source ids), the first reason and group one gives, and whether they all have the same grade in sources.csv
    (`one_grade`). The checks read it (a source twice in one group is a duplicate key), and so does the resolution
    of sources into events (`attrition.core.relations.events`): made once, it serves both."""
    return f"""
    SELECT person_id, company, spell, event, max(earliest) AS lo_max, min(earliest) AS lo_min, max(latest) AS hi_max,
           min(latest) AS hi_min, count(*) AS n_sources, {sql.distinct_count('source_id')} AS distinct_sources,
           {sql.ordered_ids('source_id')} AS source_ids, min(nullif(reason, '')) AS reason,
           min(nullif("group", '')) AS spell_group,
           min(grade) = max(grade) AS one_grade
    FROM (SELECT e.*, coalesce(s.grade, '') AS grade
          FROM evidence AS e LEFT JOIN sources AS s ON s.source_id = e.source_id) AS graded
    GROUP BY person_id, company, spell, event"""


def structure_holds(engine: Engine) -> bool:
    """Whether every reference to people from evidence and every rule `check_spells` enforces surely hold, from
    one summary per spell of the evidence grouped by event (table `event_groups`), for tables whose cells all
    passed. When a test fails, the full checks run and say which record breaks which rule."""
    sql = engine.spelling
    starts, ends = ", ".join(map(sql.literal, START_EVENTS)), ", ".join(map(sql.literal, END_EVENTS))
    when = lambda condition, value: f"CASE WHEN {condition} THEN {value} END"
    engine.table("spell_summary", f"""
        SELECT person_id, company, spell,
               min({when(f"event IN ({starts})", "lo_min")}) AS start_lo,
               max(CASE WHEN event = 'return' THEN 1 ELSE 0 END) AS has_return,
               max(CASE WHEN event IN ({starts}) AND (event = 'join') <> (spell = 1) THEN 1 ELSE 0 END) AS wrong_start,
               min({when(f"event IN ({ends})", "lo_min")}) AS end_lo, max({when(f"event IN ({ends})", "hi_max")}) AS end_hi,
               min({when(f"event IN ({ends})", "hi_min")}) AS end_latest,
               min({when("event = 'observed'", "hi_min")}) AS seen_latest,
               max({when("event = 'observed'", "lo_max")}) AS seen_earliest,
               min({when("event = 'return'", "hi_min")}) AS return_latest
        FROM event_groups GROUP BY person_id, company, spell""")
    tests = {
        "evidence about people not in people.csv": """SELECT count(*) FROM event_groups AS g WHERE NOT EXISTS
            (SELECT 1 FROM people AS p WHERE p.person_id = g.person_id AND p.company = g.company)""",
        "people without a join": """SELECT (SELECT count(*) FROM people)
            - (SELECT count(*) FROM event_groups WHERE spell = 1 AND event = 'join')""",
        "spells out of order": """SELECT count(*) FROM spell_summary WHERE end_latest < start_lo
            OR seen_latest < start_lo OR seen_earliest > end_hi OR wrong_start = 1 OR (spell > 1 AND has_return = 0)""",
        "returns out of order": """SELECT count(*) FROM spell_summary AS n LEFT JOIN spell_summary AS p
            ON p.person_id = n.person_id AND p.company = n.company AND p.spell = n.spell - 1
            WHERE n.spell > 1 AND (p.spell IS NULL OR p.end_lo IS NULL OR n.return_latest < p.end_lo)""",
        "observations after publication": """SELECT count(*) FROM evidence AS e JOIN sources AS s
            ON s.source_id = e.source_id WHERE e.event = 'observed' AND e.earliest > s.published""",
        "team variants": "SELECT count(*) FROM people WHERE team_variants <> ''",
        "sources of corrections": f"SELECT count(*) {_unknown_correction_sources(sql)}",
        "moves": """SELECT count(*) FROM moves AS m LEFT JOIN spell_summary AS s ON s.person_id = m.person_id
            AND s.company = m.company AND s.spell = m.spell
            WHERE m.spell IS NOT NULL AND (s.end_lo IS NULL OR m.latest < s.start_lo)""",
    }
    counts = engine.rows("SELECT " + ", ".join(f"({query}) AS c{i}" for i, query in enumerate(tests.values())))[0]
    engine.drop("spell_summary")
    return not any(counts)


def check_tables(engine: Engine, specs: list[TableSpec], freeze: date | None, numbered: bool) -> list[Finding]:
    """Every check of the tables `typed_table` made from `specs` (the canonical tables that could be read):
    cells, duplicate keys, and, when every table was read, references and the structure of each person's spells.

    When every cell passed, the evidence is grouped by event (table `event_groups`, which the resolution of
    sources into events reads next), and the cheap tests of `structure_holds` and the count of distinct
    sources per group come first: the queries that name offending records run only where one fails, and the
    cells' rules only over tables where `typed_table` flagged a record (one count for every table)."""
    with engine.joins_as_written():
        return _checked(engine, specs, freeze, numbered)


def _checked(engine: Engine, specs: list[TableSpec], freeze: date | None, numbered: bool) -> list[Finding]:
    flagged = [(spec.name, f"(SELECT count(*) FROM {rows_of(spec.name)} WHERE _flag AND NOT _blank)") for spec in specs]
    counts = engine.rows("SELECT " + ", ".join(f"{count} AS {_q(name)}" for name, count in flagged))[0] if specs else ()
    findings = [f for spec, n in zip(specs, counts) if n for f in cell_findings(engine, spec, freeze, numbered)]
    complete = len(specs) == len(TABLES)
    grouped = complete and not findings
    if grouped:
        engine.table("event_groups", event_groups(engine.spelling))
    repeated = bool(engine.rows("SELECT count(*) FROM event_groups WHERE distinct_sources < n_sources")[0][0]) \
        if grouped else True
    for spec in specs:
        if spec.name != "evidence" or repeated:
            findings += duplicates(engine, spec)
    if not complete:
        return findings
    holds = grouped and not findings and structure_holds(engine)
    for spec in TABLES.values():
        findings += check_references(engine, spec, skip=("people",) if holds and spec.name == "evidence" else ())
    return findings if holds else findings + check_spells(engine)
