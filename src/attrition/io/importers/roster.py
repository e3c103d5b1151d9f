"""Turn one flat roster export (one row per person spell) into a dataset folder every command accepts.

A mapping file names the export's columns (`[roster]` in MAPPING.toml; see MAPPING_KEYS). The export
is read and checked in the engine, as whole columns: every problem is reported against the export's
own file, line and column, never against the files generated from it. Each row becomes evidence
backed by one generated source row for the export; a person's later rows at the same company become
returns; people still there are observed on their row's last-observation date or on the export's
date. The folder is written whole or not at all (attrition.outputs), and the export is only read.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from attrition.backends.duckdb import Engine, literal
from attrition.io import checks, csvfiles
from attrition.io.outputs import OutputError, check_target, exclusive, replace_folder
from attrition.locations import DEFAULT_DATA_DIR
from attrition.result import MetricError
from attrition.schema import (
    COHORTS,
    EPOCH,
    FIRST_DAY,
    LAST_DAY,
    MAX_FIELD_CHARS,
    TABLES,
    Column,
    DataError,
    Problem,
    TableSpec,
    day_number,
)

MAPPING_KEYS = {
    "person_column": "the column identifying a person (any text: an employee number, an e-mail, a name)",
    "start_column": "the column with the day the spell started",
    "end_column": "the column with the day it ended; empty when the person is still there",
    "company": "the one company every row belongs to (use this or company_column)",
    "company_column": "the column naming each row's company (use this or company)",
    "name_column": "optional: the column with the person's display name (default: the person column)",
    "group_column": "optional: a department, role or office, to compare groups",
    "reason_column": "optional: why the spell ended (resigned, retired...)",
    "cohort_column": "optional: founder, hire or executive per row (default: hire for everyone)",
    "observed_until_column": "optional: the last day each row's person was seen there (for people still there)",
    "start_precision_column": "optional: the column giving each start date's precision (day, month or year; "
                              "empty: the precision key)",
    "end_precision_column": "optional: the same for each end date",
    "date_format": 'how dates are written, in strptime codes (default "%Y-%m-%d")',
    "precision": "day, month or year: a month-precise date stands for the whole month (default day)",
    "observed_until": "the export's date: people still there are followed to it; it becomes the freeze date",
    "source_title": "optional: the title of the export in sources.csv (default: its file name)",
}
REQUIRED_KEYS = ("person_column", "start_column", "end_column", "observed_until")
COLUMN_KEYS = ("person_column", "start_column", "end_column", "company_column", "name_column", "group_column",
               "reason_column", "cohort_column", "observed_until_column", "start_precision_column",
               "end_precision_column")
PRECISION_KEYS = {"start_column": "start_precision_column", "end_column": "end_precision_column"}
DATE_KEYS = ("start_column", "end_column", "observed_until_column")
PRECISIONS = {"day": None, "month": "1 month", "year": "1 year"}
"""How far past its written date a value of each precision reaches: its interval ends a day before that."""
MISSING = ("", "NA", "N/A", "NULL", "NAN", "NONE", "NAT")
"""Cell values read as empty (compared in upper case), as spreadsheets and pandas write them."""


@dataclass(frozen=True)
class Mapping:
    """The checked [roster] section of a mapping file."""

    columns: dict[str, str]
    company: str | None
    date_format: str
    precision: str
    observed_until: date
    source_title: str | None
    path: Path


def read_mapping(path: Path) -> Mapping:
    """Parse and check MAPPING.toml; every problem names the mapping file, its line and the key."""
    problems: list[Problem] = []
    raw = csvfiles.read_bytes(path, path.name, problems)
    if raw is None:
        raise DataError(problems)
    try:
        text = raw.decode("utf-8-sig")
        section = tomllib.loads(text).get("roster")
    except UnicodeDecodeError:
        raise DataError([Problem(path.name, None, None, None, "not valid UTF-8; save the file as UTF-8")]) from None
    except tomllib.TOMLDecodeError as err:
        line = re.search(r"at line (\d+)", str(err))
        raise DataError([Problem(path.name, int(line.group(1)) if line else None, None, None,
                                 f"is not valid TOML: {err}")]) from None
    lines = text.splitlines()
    where = lambda key: next((i for i, t in enumerate(lines, 1) if re.match(rf"\s*{re.escape(key)}\s*=", t)), None)
    if not isinstance(section, dict):
        raise DataError([Problem(path.name, None, "roster", None,
                                 "needs a [roster] table (see the README for the keys and an example)")])
    for key, value in section.items():
        if key not in MAPPING_KEYS:
            problems.append(Problem(path.name, where(key), key, None,
                                    f"unknown key; the keys are {', '.join(MAPPING_KEYS)}"))
        elif not isinstance(value, (str, date)) or (isinstance(value, date) and key != "observed_until"):
            problems.append(Problem(path.name, where(key), key, str(value), "must be text in quotes"))
        elif isinstance(value, str) and (len(value) > MAX_FIELD_CHARS or re.search(r"[\x00-\x1f\x7f-\x9f]", value)):
            problems.append(Problem(path.name, where(key), key, value[:200],
                                    f"must be one line of text without control characters, at most "
                                    f"{MAX_FIELD_CHARS:,} characters"))
    for key in REQUIRED_KEYS:
        if key not in section:
            problems.append(Problem(path.name, None, key, None, f"missing: {MAPPING_KEYS[key]}"))
    if ("company" in section) == ("company_column" in section):
        problems.append(Problem(path.name, where("company") or where("company_column"), "company", None,
                                "give exactly one of company (one company for every row) or company_column"))
    for key, what in (("company", "must name the company"), ("source_title", "must not be empty (or leave it out)")):
        if key in section and not str(section[key]).strip():
            problems.append(Problem(path.name, where(key), key, str(section[key]), what))
    precision = str(section.get("precision", "day"))
    if precision not in PRECISIONS:
        problems.append(Problem(path.name, where("precision"), "precision", precision, "must be day, month or year"))
    date_format = str(section.get("date_format", "%Y-%m-%d"))
    if "%" not in date_format:
        problems.append(Problem(path.name, where("date_format"), "date_format", date_format,
                                'must be strptime codes, such as "%Y-%m-%d" or "%d/%m/%Y"'))
    observed = section.get("observed_until", "")
    until = observed if isinstance(observed, date) and not isinstance(observed, datetime) else _iso(str(observed))
    if "observed_until" in section and (until is None or not FIRST_DAY <= until <= LAST_DAY):
        problems.append(Problem(path.name, where("observed_until"), "observed_until", str(observed),
                                f"must be an ISO date (YYYY-MM-DD) between {FIRST_DAY} and {LAST_DAY}"))
    if problems:
        raise DataError(problems)
    columns = {key: str(section[key]) for key in COLUMN_KEYS if key in section}
    return Mapping(columns=columns, company=section.get("company"), date_format=date_format, precision=precision,
                   observed_until=until, source_title=section.get("source_title"), path=path)


def _iso(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _missing(cell: str) -> str:
    return f"(upper({cell}) IN ({', '.join(map(literal, MISSING))}))"


def _slug(text: str) -> str:
    """SQL for a slug of a text column: lower-case ASCII words joined by hyphens ('' when nothing is left)."""
    return f"trim(regexp_replace(lower(strip_accents({text})), '[^a-z0-9]+', '-', 'g'), '-')"


def _unique_ids(engine: Engine, table: str, raw: str) -> None:
    """Add column `id` to `table`: a slug of `raw`, made unique with a short hash where two values share one."""
    engine.table(f"{table}_ids", f"""
        WITH v AS (SELECT DISTINCT {raw} AS value FROM {table}),
             s AS (SELECT value, {_slug('value')} AS slug FROM v),
             n AS (SELECT *, count(*) OVER (PARTITION BY slug) AS sharing FROM s)
        SELECT value, CASE WHEN slug = '' THEN 'id-' || left(md5(value), 10)
                           WHEN sharing > 1 THEN slug || '-' || left(md5(value), 6) ELSE slug END AS id FROM n""")


def _read_export(engine: Engine, export: Path, mapping: Mapping) -> tuple[TableSpec, list[Problem]]:
    """Read the mapped columns as text into table `export` (`rec` = record number), checking the header."""
    problems: list[Problem] = []
    text = csvfiles.read_prefix(export, export.name, problems)
    if text is None:
        raise DataError(problems)
    names = [h.strip() for h in (csvfiles.first_record(text) or [])]
    for key, column in mapping.columns.items():
        if column not in names:
            problems.append(Problem(export.name, 1, column, None,
                                    f"the mapping's {key} names this column, but the header has no such column "
                                    f"(it has: {', '.join(names)[:300]})"))
    duplicated = sorted({n for n in names if names.count(n) > 1 and n in mapping.columns.values()})
    for name in duplicated:
        problems.append(Problem(export.name, 1, name, None, "this column name appears twice in the header"))
    if problems:
        raise DataError(problems)
    used = list(dict.fromkeys(mapping.columns.values()))
    spec = TableSpec("export", export.name, tuple(Column(n) for n in used), key=())
    if not csvfiles.load_table(engine, spec, export, names, problems, None):
        raise DataError(problems)
    findings = checks.cell_findings(engine, spec, None, numbered=False)
    return spec, _located(export, findings)


def _located(export: Path, findings: list[checks.Finding]) -> list[Problem]:
    if not findings:
        return []
    lines = csvfiles.record_lines(export)
    return [Problem(export.name, int(lines[f.rec]) if 0 <= f.rec < len(lines) else None, f.column, f.value, f.message)
            for f in findings]


def _typed(engine: Engine, mapping: Mapping) -> None:
    """Table `rows`: one per export row, values trimmed, missing markers as NULL, dates as day intervals."""
    col = mapping.columns
    fmt = literal(mapping.date_format)
    parts = ["rec"]
    cell = lambda column: f"CASE WHEN {_missing(_q(column))} THEN NULL ELSE {_q(column)} END"
    for key, column in col.items():
        value = cell(column)
        parts.append(f"{value} AS {key}")
        if key in DATE_KEYS:
            day = f"CAST(try_strptime({value}, {fmt}) AS DATE)"
            lo = f"CAST(datediff('day', DATE '{EPOCH}', {day}) AS INTEGER)"
            parts.append(f"{lo} AS {key}_lo")
            reach = lambda step: f"CAST(datediff('day', DATE '{EPOCH}', CAST({day} + INTERVAL '{step}' AS DATE)) - 1 AS INTEGER)"
            precision = f"lower(coalesce({cell(col[PRECISION_KEYS[key]])}, {literal(mapping.precision)}))" \
                if PRECISION_KEYS.get(key) in col else literal(mapping.precision)
            hi = "CASE " + " ".join(f"WHEN {precision} = '{name}' THEN {reach(step) if step else lo}"
                                    for name, step in PRECISIONS.items()) + " END"
            parts.append(f"{hi} AS {key}_hi")
    if "company_column" not in col:
        parts.append(f"{literal(mapping.company)} AS company_column")
    engine.table("rows", f"SELECT {', '.join(parts)} FROM export")


def _row_problems(engine: Engine, mapping: Mapping) -> list[tuple[int, str, str | None, str]]:
    """(rec, column, value, message) for every row that cannot become evidence."""
    col = mapping.columns
    until = day_number(mapping.observed_until)
    first, last = day_number(FIRST_DAY), day_number(LAST_DAY)
    fmt = mapping.date_format
    parts = [
        f"SELECT rec, {literal(col['person_column'])}, person_column, 'must not be empty: every row needs a person' "
        "FROM rows WHERE person_column IS NULL",
        f"SELECT rec, {literal(col['start_column'])}, start_column, 'must not be empty: every spell needs a start date' "
        "FROM rows WHERE start_column IS NULL",
    ]
    if "company_column" in col:
        parts.append(f"SELECT rec, {literal(col['company_column'])}, company_column, 'must not be empty: every row "
                     "needs a company' FROM rows WHERE company_column IS NULL")
    if "cohort_column" in col:
        parts.append(f"SELECT rec, {literal(col['cohort_column'])}, cohort_column, 'must be one of {', '.join(COHORTS)} "
                     f"(or empty for hire)' FROM rows WHERE cohort_column IS NOT NULL AND lower(cohort_column) NOT IN "
                     f"({', '.join(map(literal, COHORTS))})")
    for key, precision in PRECISION_KEYS.items():
        if precision in col:
            parts.append(f"SELECT rec, {literal(col[precision])}, {precision}, 'must be day, month or year (or empty for "
                         f"the precision key, {mapping.precision})' FROM rows WHERE {precision} IS NOT NULL AND "
                         f"lower({precision}) NOT IN ({', '.join(map(literal, PRECISIONS))})")
    future = literal(f"is after the export date (observed_until {mapping.observed_until}): a roster cannot record the future")
    for key in DATE_KEYS:
        if key not in col:
            continue
        name = literal(col[key])
        parts += [
            f"SELECT rec, {name}, {key}, {literal(f'is not a date written as {fmt}: set date_format in the mapping')} "
            f"FROM rows WHERE {key} IS NOT NULL AND {key}_lo IS NULL",
            f"SELECT rec, {name}, {key}, {literal(f'is outside the supported range {FIRST_DAY} to {LAST_DAY}')} "
            f"FROM rows WHERE {key}_lo < {first} OR {key}_lo > {last}",
            f"SELECT rec, {name}, {key}, {future} FROM rows WHERE {key}_lo > {until} AND {key}_lo <= {last}",
        ]
    ok_dates = "start_column_lo BETWEEN {0} AND {1} AND end_column_lo BETWEEN {0} AND {1}".format(first, until)
    parts.append(f"SELECT rec, {literal(col['end_column'])}, end_column, 'is before the start date (' || start_column "
                 f"|| ')' FROM rows WHERE {ok_dates} AND end_column_hi < start_column_lo")
    if "observed_until_column" in col:
        seen = "observed_until_column_lo"
        parts += [
            f"SELECT rec, {literal(col['observed_until_column'])}, observed_until_column, 'is before the start date (' "
            f"|| start_column || ')' FROM rows WHERE {seen} BETWEEN {first} AND {until} AND start_column_lo "
            f"BETWEEN {first} AND {until} AND observed_until_column_hi < start_column_lo",
            f"SELECT rec, {literal(col['observed_until_column'])}, observed_until_column, 'is after the end date (' "
            f"|| end_column || '): no one is seen after they left' FROM rows WHERE {seen} BETWEEN {first} AND {until} "
            f"AND {ok_dates} AND observed_until_column_lo > end_column_hi",
        ]
    return engine.rows(" UNION ALL ".join(parts) + " ORDER BY 1, 2")


def _spells(engine: Engine, mapping: Mapping, export: Path) -> list[tuple[int, str, str | None, str]]:
    """Number each person's spells at each company; return (rec, column, value, message) for overlaps."""
    until = day_number(mapping.observed_until)
    _unique_ids(engine, "rows", "person_column")
    engine.run("ALTER TABLE rows_ids RENAME TO person_ids")
    _unique_ids(engine, "rows", "company_column")
    engine.table("spells", f"""
        SELECT r.*, p.id AS person_id, c.id AS company, {_line_sql(engine, export)} AS line,
               least(r.start_column_hi, {until}) AS start_hi, least(r.end_column_hi, {until}) AS end_hi,
               row_number() OVER (PARTITION BY p.id, c.id ORDER BY r.start_column_lo, r.rec) AS spell
        FROM rows AS r JOIN person_ids AS p ON p.value = r.person_column JOIN rows_ids AS c ON c.value = r.company_column
        {_line_join(engine)}""")
    engine.run("DROP TABLE rows_ids")
    overlaps = engine.rows(f"""
        SELECT s.rec, {literal(mapping.columns['start_column'])}, s.start_column,
               'this spell starts while the one on line ' || p.line || CASE WHEN p.end_column IS NULL
               THEN ' has no end date (still there)' ELSE ' has not ended' END
               || ': spells of one person at one company may not overlap'
        FROM spells AS s JOIN spells AS p ON p.person_id = s.person_id AND p.company = s.company AND p.spell = s.spell - 1
        WHERE p.end_column IS NULL OR s.start_hi < p.end_column_lo ORDER BY s.rec""")
    return overlaps


def _line_sql(engine: Engine, export: Path) -> str:
    """SQL for each record's physical line: rec + 2, unless blank lines or fields spanning lines shift it."""
    records = engine.rows("SELECT count(*) FROM export")[0][0]
    newlines, last = 0, b"\n"
    with open(export, "rb") as handle:
        while chunk := handle.read(1 << 24):
            newlines, last = newlines + chunk.count(b"\n"), chunk[-1:]
    if newlines + (last != b"\n") == records + 1:
        return "r.rec + 2"
    lines = csvfiles.record_lines(export)
    engine.load_frame("record_lines", pd.DataFrame({"rec": range(len(lines)), "line": lines}))
    return "l.line"


def _line_join(engine: Engine) -> str:
    return "LEFT JOIN record_lines AS l ON l.rec = r.rec" if engine.has_table("record_lines") else ""


def _write(engine: Engine, staging: Path, export: Path, mapping: Mapping) -> None:
    """Write the dataset's files from the checked `spells` table."""
    col = mapping.columns
    until = mapping.observed_until.isoformat()
    digest = _sha256(export)
    source_id = (re.sub(r"[^a-z0-9]+", "-", export.stem.lower()).strip("-") or "roster") + "-export"
    line = "line"
    name = export.name.replace("'", "''")
    start, end = literal(col["start_column"]), literal(col["end_column"])

    def copy(file: str, sql: str) -> None:
        engine.write_csv(sql, staging / file)

    def day(column: str) -> str:
        return f"strftime(DATE '{EPOCH}' + {column}, '%Y-%m-%d')"

    title = mapping.source_title or export.name
    engine.run(f"""CREATE OR REPLACE TABLE out_sources AS SELECT {literal(source_id)} AS source_id,
        'roster export' AS publisher, {literal(title)} AS title, '' AS url, '' AS read_url, {literal(until)} AS published,
        'und' AS language, 'A' AS grade, 'the roster itself: every row of the export' AS grade_reason,
        {literal(f'{export.name} (sha256 {digest}) imported with {mapping.path.name}')} AS note""")
    copy("sources.csv", "SELECT * FROM out_sources")
    cohort = "coalesce(lower(arg_min(cohort_column, spell)), 'hire')" if "cohort_column" in col else "'hire'"
    display = "arg_max(name_column, spell) FILTER (WHERE name_column IS NOT NULL)" if "name_column" in col else "NULL"
    group = "coalesce(arg_max(group_column, spell), '')" if "group_column" in col else "''"
    copy("people.csv", f"""SELECT person_id, coalesce({display}, arg_max(person_column, spell)) AS name, company,
        {cohort} AS cohort, '' AS prior_affiliations, '' AS role, '' AS note, {group} AS "group", '' AS team_variants
        FROM spells GROUP BY person_id, company ORDER BY company, person_id""")
    reason = "coalesce(reason_column, '')" if "reason_column" in col else "''"
    u = day_number(mapping.observed_until)
    seen = (f"coalesce(observed_until_column_lo, {u})", f"coalesce(least(observed_until_column_hi, {u}), {u})") \
        if "observed_until_column" in col else (str(u), str(u))
    seen_note = (f"'{name} line ' || {line} || ': ' || CASE WHEN observed_until_column IS NULL THEN "
                 f"'no end date; in the export of {until}' ELSE 'last seen ' || observed_until_column END"
                 if "observed_until_column" in col else f"'{name} line ' || {line} || ': no end date; in the export of {until}'")
    copy("evidence.csv", f"""
        SELECT person_id, company, spell, event, {day('earliest')} AS earliest, {day('latest')} AS latest,
               {literal(source_id)} AS source_id, paraphrase, '' AS note, reason FROM (
          SELECT person_id, company, spell, CASE WHEN spell = 1 THEN 'join' ELSE 'return' END AS event,
                 start_column_lo AS earliest, start_hi AS latest,
                 '{name} line ' || {line} || ': ' || {start} || ' ' || start_column AS paraphrase, '' AS reason, 0 AS o
          FROM spells AS s
          UNION ALL
          SELECT person_id, company, spell, 'leave', end_column_lo, end_hi,
                 '{name} line ' || {line} || ': ' || {end} || ' ' || end_column, {reason}, 1
          FROM spells AS s WHERE end_column IS NOT NULL
          UNION ALL
          SELECT person_id, company, spell, 'observed', {seen[0]}, {seen[1]}, {seen_note}, '', 2
          FROM spells AS s WHERE end_column IS NULL)
        ORDER BY company, person_id, spell, o""")
    for table in ("milestones", "counts"):
        spec = TABLES[table]
        copy(spec.file, "SELECT " + ", ".join(f"'' AS {_q(c)}" for c in spec.column_names) + " WHERE false")
    copy("companies.csv", """SELECT DISTINCT company, company_column AS name, '' AS observed_until,
        '' AS team_variants, '' AS note FROM spells ORDER BY company""")
    (staging / "dataset.toml").write_text(
        "# Written by `attrition import roster`; the freeze date is the export's date (observed_until).\n"
        f'[dataset]\nfreeze_date = "{until}"\nimported_from = {_toml(export.name)}\nmapping = {_toml(mapping.path.name)}\n'
        '\n[wording]\nhire = "employees"\ncompany = "companies"\n', encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


def _toml(text: str) -> str:
    """A TOML basic string: backslashes, quotes and control characters (a file name may hold any) escaped."""
    return '"' + "".join(f"\\u{ord(c):04x}" if c in '"\\' or ord(c) < 32 or ord(c) == 127 else c for c in text) + '"'


def import_roster(export: Path, mapping_path: Path, out: Path, locked: bool = False,
                  known_as_of: date | str | None = None) -> dict[str, int]:
    """Check `export` against its mapping and write the dataset folder `out`; returns what was written.
    `locked`: the caller already holds `exclusive(out)`. Every row rests on one source, the export, dated by
    its end of observation: as known on an earlier day (`known_as_of`) there is nothing to import, which is
    refused."""
    mapping = read_mapping(mapping_path)
    if known_as_of is not None and str(known_as_of) < mapping.observed_until.isoformat():
        raise MetricError(f"--known-as-of {known_as_of}: the export is dated {mapping.observed_until} (its end of "
                          "observation), so nothing in it was published by then")
    target = check_target(out, DEFAULT_DATA_DIR, replaces_dataset=True)
    for given in (export, mapping_path):
        source = given.resolve()
        if target == source.parent or target in source.parents:
            raise OutputError(f"{out}: refusing to write here, it holds the input {given}; choose another folder")
    engine = Engine()
    spec, problems = _read_export(engine, export, mapping)
    if problems:
        raise DataError(problems)
    engine.keep_file_order(False)
    _typed(engine, mapping)
    found = _row_problems(engine, mapping)
    if not found:
        found = _spells(engine, mapping, export)
    if found:
        lines = csvfiles.record_lines(export)
        raise DataError([Problem(export.name, int(lines[rec]) if 0 <= rec < len(lines) else None, column, value,
                                 message) for rec, column, value, message in found])
    with (nullcontext() if locked else exclusive(out)), replace_folder(out) as staging:
        _write(engine, staging, export, mapping)
    counts = engine.rows("SELECT count(*), count(DISTINCT person_id), count(DISTINCT company), "
                         "count(*) FILTER (WHERE end_column IS NULL) FROM spells")[0]
    return dict(zip(("spells", "people", "companies", "still_there"), counts))
