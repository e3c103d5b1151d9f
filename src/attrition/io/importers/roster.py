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
from contextlib import nullcontext
from datetime import date
from pathlib import Path

import pandas as pd

from attrition import progress
from attrition.backends.duckdb import Engine, literal
from attrition.io import cache, checks, csvfiles
from attrition.io.importers.mapping import DATE_KEYS, PRECISIONS, Mapping, read_mapping
from attrition.io.outputs import OutputError, check_target, exclusive, replace_folder
from attrition.locations import DEFAULT_DATA_DIR
from attrition.result import MetricError
from attrition.schema import (
    COHORTS,
    EPOCH,
    FIRST_DAY,
    LAST_DAY,
    TABLES,
    Column,
    DataError,
    Problem,
    TableSpec,
    day_number,
)
from attrition.text import did_you_mean

PRECISION_COLUMNS = {"start_column": "start_precision_column", "end_column": "end_precision_column"}
STEPS = {"day": None, "month": "1 month", "year": "1 year", "fiscal_year": "1 year"}
"""How far past its first day a value of each precision reaches: its interval ends a day before that."""
MISSING = ("", "NA", "N/A", "NULL", "NAN", "NONE", "NAT")
"""Cell values read as empty (compared in upper case), as spreadsheets and pandas write them."""


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


def _day_number(day: str) -> str:
    return f"CAST(datediff('day', DATE '{EPOCH}', {day}) AS INTEGER)"


def _typed(engine: Engine, mapping: Mapping) -> None:
    """Table `rows`: one per export row, values trimmed, missing markers as NULL, dates as day intervals.

    A date of precision month, year or fiscal_year stands for the whole period that starts on it; a fiscal
    year written as its year (FY2015) starts on fiscal_year_start of the year before when years are named
    by their end (a July fiscal year), of that year when named by their start."""
    col = mapping.columns
    parts = ["rec"]
    cell = lambda column: f"CASE WHEN {_missing(_q(column))} THEN NULL ELSE {_q(column)} END"
    month, day_of_month = mapping.fiscal_year_start
    back = 1 if mapping.fiscal_year_named_by == "end" and (month, day_of_month) != (1, 1) else 0
    for key, column in col.items():
        value = cell(column)
        parts.append(f"{value} AS {key}")
        if key in DATE_KEYS:
            day = f"CAST(try_strptime({value}, {literal(mapping.date_formats[key])}) AS DATE)"
            precision = (f"lower(coalesce({cell(col[PRECISION_COLUMNS[key]])}, {literal(mapping.precisions[key])}))"
                         if PRECISION_COLUMNS.get(key) in col else literal(mapping.precisions[key]))
            first = (f"CASE WHEN {precision} = 'fiscal_year' THEN make_date(year({day}) - {back}, {month}, "
                     f"{day_of_month}) ELSE {day} END")
            parts.append(f"{_day_number(first)} AS {key}_lo")
            hi = "CASE " + " ".join(
                f"WHEN {precision} = '{name}' THEN "
                + (f"{_day_number(f'CAST({first} + INTERVAL {literal(step)} AS DATE)')} - 1" if step else _day_number(first))
                for name, step in STEPS.items()) + " END"
            parts.append(f"{hi} AS {key}_hi")
    if "company_column" not in col:
        parts.append(f"{literal(mapping.company)} AS company_column")
    if mapping.observed_from is not None:
        entry = day_number(mapping.observed_from)
        parts += [f"'{mapping.observed_from}' AS observed_from_column", f"{entry} AS observed_from_column_lo",
                  f"{entry} AS observed_from_column_hi"]
    engine.table("rows", f"SELECT {', '.join(parts)} FROM export")


def _row_problems(engine: Engine, mapping: Mapping) -> list[tuple[int, str, str | None, str]]:
    """(rec, column, value, message) for every row that cannot become evidence."""
    col = mapping.columns
    until = day_number(mapping.observed_until)
    first, last = day_number(FIRST_DAY), day_number(LAST_DAY)
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
    for key, precision in PRECISION_COLUMNS.items():
        if precision in col:
            default = mapping.precisions[key]
            parts.append(f"SELECT rec, {literal(col[precision])}, {precision}, 'must be day, month, year or fiscal_year "
                         f"(or empty for the mapping''s {default})' FROM rows WHERE {precision} IS NOT NULL AND "
                         f"lower({precision}) NOT IN ({', '.join(map(literal, PRECISIONS))})")
            if not mapping.fiscal_year_set:
                parts.append(f"SELECT rec, {literal(col[precision])}, {precision}, 'is fiscal_year, which needs "
                             f"fiscal_year_start in the mapping (\"07-01\" for a July fiscal year)' FROM rows "
                             f"WHERE lower({precision}) = 'fiscal_year'")
    future = literal(f"is after the export date (observed_until {mapping.observed_until}): a roster cannot record the future")
    for key in DATE_KEYS:
        if key not in col:
            continue
        name, fmt = literal(col[key]), mapping.date_formats[key]
        hint = f"set {key.removesuffix('_column')}_date_format (or date_format) in the mapping"
        parts += [
            f"SELECT rec, {name}, {key}, {literal(f'is not a date written as {fmt}: {hint}')} "
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
    if "observed_from_column" in col or mapping.observed_from is not None:
        parts.append(
            f"SELECT rec, {literal(col['end_column'])}, end_column, 'ended before observation started (' || observed_from_column || "
            f"'): a roster that starts observing then cannot hold this spell' FROM rows WHERE {ok_dates} AND "
            f"observed_from_column_lo BETWEEN {first} AND {until} AND end_column_hi < observed_from_column_lo")
    found = engine.rows(" UNION ALL ".join(parts) + " ORDER BY 1, 2")
    return sorted(found + _unsorted_reasons(engine, mapping))


def _reason_map(engine: Engine, mapping: Mapping) -> None:
    """Table `reason_map` (value in lower case, category) from [roster.reasons]."""
    pairs = [f"SELECT {literal(v.lower())} AS value, {literal(c)} AS category" for v, c in (mapping.reasons or {}).items()]
    engine.table("reason_map", " UNION ALL ".join(pairs) if pairs else
                 "SELECT CAST(NULL AS VARCHAR) AS value, CAST(NULL AS VARCHAR) AS category WHERE false")


def _unsorted_reasons(engine: Engine, mapping: Mapping) -> list[tuple[int, str, str | None, str]]:
    """One problem per reason value the mapping's [roster.reasons] does not sort, at its first row."""
    if mapping.reasons is None or "reason_column" not in mapping.columns:
        return []
    _reason_map(engine, mapping)
    unsorted = engine.rows("""SELECT min(r.rec), r.reason_column, count(*) FROM rows AS r
        LEFT JOIN reason_map AS m ON m.value = lower(r.reason_column)
        WHERE r.reason_column IS NOT NULL AND r.end_column IS NOT NULL AND m.value IS NULL
        GROUP BY r.reason_column ORDER BY 1""")
    column = mapping.columns["reason_column"]
    return [(rec, column, value, f"is not sorted into a category by the mapping's [roster.reasons] ({n:,} row"
                                 f"{'s' if n != 1 else ''}){did_you_mean(value, list(mapping.reasons))}; add a line "
                                 f'"{value}" = "one of: {", ".join(mapping.categories)}"')
            for rec, value, n in unsorted]


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
    entry = (f"coalesce({day('arg_min(observed_from_column_lo, spell)')}, '')"
             if "observed_from_column" in col or mapping.observed_from is not None else "''")
    copy("people.csv", f"""SELECT person_id, coalesce({display}, arg_max(person_column, spell)) AS name, company,
        {cohort} AS cohort, '' AS prior_affiliations, '' AS role, '' AS note, '' AS "group", '' AS team_variants,
        {entry} AS observed_from
        FROM spells GROUP BY person_id, company ORDER BY company, person_id""")
    sorted_reasons = mapping.reasons is not None and "reason_column" in col
    if sorted_reasons:
        _reason_map(engine, mapping)
    reason = ("coalesce((SELECT category FROM reason_map AS m WHERE m.value = lower(s.reason_column)), '')"
              if sorted_reasons else "coalesce(reason_column, '')" if "reason_column" in col else "''")
    said = (f" || CASE WHEN reason_column IS NULL THEN '' ELSE '; ' || {literal(col['reason_column'])} || ' ' || "
            "reason_column END" if sorted_reasons else "")
    group = "coalesce(group_column, '')" if "group_column" in col else "''"
    u = day_number(mapping.observed_until)
    seen = (f"coalesce(observed_until_column_lo, {u})", f"coalesce(least(observed_until_column_hi, {u}), {u})") \
        if "observed_until_column" in col else (str(u), str(u))
    seen_note = (f"'{name} line ' || {line} || ': ' || CASE WHEN observed_until_column IS NULL THEN "
                 f"'no end date; in the export of {until}' ELSE 'last seen ' || observed_until_column END"
                 if "observed_until_column" in col else f"'{name} line ' || {line} || ': no end date; in the export of {until}'")
    copy("evidence.csv", f"""
        SELECT person_id, company, spell, event, {day('earliest')} AS earliest, {day('latest')} AS latest,
               {literal(source_id)} AS source_id, paraphrase, '' AS note, reason, "group" FROM (
          SELECT person_id, company, spell, CASE WHEN spell = 1 THEN 'join' ELSE 'return' END AS event,
                 start_column_lo AS earliest, start_hi AS latest,
                 '{name} line ' || {line} || ': ' || {start} || ' ' || start_column AS paraphrase, '' AS reason,
                 {group} AS "group", 0 AS o
          FROM spells AS s
          UNION ALL
          SELECT person_id, company, spell, 'leave', end_column_lo, end_hi,
                 '{name} line ' || {line} || ': ' || {end} || ' ' || end_column{said}, {reason}, '', 1
          FROM spells AS s WHERE end_column IS NOT NULL
          UNION ALL
          SELECT person_id, company, spell, 'observed', {seen[0]}, {seen[1]}, {seen_note}, '', '', 2
          FROM spells AS s WHERE end_column IS NULL)
        ORDER BY company, person_id, spell, o""")
    for table in ("milestones", "counts"):
        spec = TABLES[table]
        copy(spec.file, "SELECT " + ", ".join(f"'' AS {_q(c)}" for c in spec.column_names) + " WHERE false")
    copy("companies.csv", """SELECT DISTINCT company, company_column AS name, '' AS observed_until,
        '' AS team_variants, '' AS note FROM spells ORDER BY company""")
    (staging / "dataset.toml").write_text(_settings(export, mapping), encoding="utf-8")


def _settings(export: Path, mapping: Mapping) -> str:
    """dataset.toml of an imported roster: the freeze date, the report's title, privacy, licence and words,
    and the order of the reason categories."""
    words = mapping.words
    title = mapping.title or export.stem
    categories = ", ".join(_toml(c) for c in mapping.categories)
    return (
        "# Written by `attrition import roster`; the freeze date is the export's date (observed_until).\n"
        f'[dataset]\nfreeze_date = "{mapping.observed_until}"\nimported_from = {_toml(export.name)}\n'
        f"mapping = {_toml(mapping.path.name)}\n\n"
        "# The report: its title, whether it may name people (public) and the data's licence.\n"
        f"[report]\ntitle = {_toml(title)}\npublic = {'true' if mapping.public else 'false'}\n"
        f"licence = {_toml(mapping.licence)}\n\n"
        f"[wording]\nhire = {_toml(words['people'])}\npeople = {_toml(words['people'])}\n"
        f"person = {_toml(words['person'])}\ncompany = {_toml(words['company'])}\n"
        f"companies = {_toml(words['companies'])}\n\n"
        f"# The categories reasons for leaving were sorted into, in the order the report lists them.\n"
        f"[reasons]\ncategories = [{categories}]\nsorted = {'true' if mapping.reasons is not None else 'false'}\n")


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
                  known_as_of: date | str | None = None) -> dict:
    """Check `export` against its mapping and write the dataset folder `out`; returns what was written (counts,
    and the nouns the mapping gives people and companies). `locked`: the caller already holds `exclusive(out)`.
    Every row rests on one source, the export, dated by its end of observation: as known on an earlier day
    (`known_as_of`) there is nothing to import, which is refused."""
    mapping = read_mapping(mapping_path)
    if known_as_of is not None and str(known_as_of) < mapping.observed_until.isoformat():
        raise MetricError(f"--known-as-of {known_as_of}: the export is dated {mapping.observed_until} (its end of "
                          "observation), so nothing in it was published by then")
    target = check_target(out, DEFAULT_DATA_DIR, replaces_dataset=True)
    for given in (export, mapping_path):
        source = given.resolve()
        if target == source.parent or target in source.parents:
            raise OutputError(f"{out}: refusing to write here, it holds the input {given}; choose another folder")
    engine = Engine(input_bytes=cache.weight([export]))
    with progress.steps(4, f"importing {export.name}") as bar:
        bar.next("reading the export")
        spec, problems = _read_export(engine, export, mapping)
        if problems:
            raise DataError(problems)
        engine.keep_file_order(False)
        bar.next("checking every row")
        _typed(engine, mapping)
        found = _row_problems(engine, mapping)
        if not found:
            bar.next("numbering each person's spells")
            found = _spells(engine, mapping, export)
        if found:
            lines = csvfiles.record_lines(export)
            raise DataError([Problem(export.name, int(lines[rec]) if 0 <= rec < len(lines) else None, column, value,
                                     message) for rec, column, value, message in found])
        bar.next("writing the dataset")
        with (nullcontext() if locked else exclusive(out)), replace_folder(out) as staging:
            _write(engine, staging, export, mapping)
    counts = engine.rows("SELECT count(*), count(DISTINCT person_id), count(DISTINCT company), "
                         "count(*) FILTER (WHERE end_column IS NULL) FROM spells")[0]
    return {**dict(zip(("spells", "people", "companies", "still_there"), counts)), "words": mapping.words}
