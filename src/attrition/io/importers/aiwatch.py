"""Read AI Watch's position tables (github.com/riceissa/aiwatch, CC0) into one roster of spells.

AI Watch keeps positions as MySQL INSERT statements, one position per line, with each date's
precision (day, month, year) and often a trailing comment with the day the row was last reviewed.
A person often holds several positions at one organisation (a new title, a second role); positions
that overlap in time are one spell there, so the roster importer gets one row per spell and its
usual checks. A review date is an open spell's last observation; an open spell never reviewed was
seen only when it started. Every problem names the .sql file, its line and the column.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tomllib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from attrition.backends.duckdb import Engine
from attrition.io import cache, csvfiles
from attrition.io.importers.roster import import_roster
from attrition.io.outputs import check_target, exclusive, scratch
from attrition.schema import FIRST_DAY, LAST_DAY, DataError, Problem

SNAPSHOT_FILE = "snapshot.toml"
"""Beside the .sql files: [snapshot] commit, date (the day the copy was taken: the roster's as-of) and url."""
HEADER = re.compile(r"^\s*insert\s+into\s+positions\s*\((?P<columns>[^)]*)\)\s*values\s*$", re.I)
TUPLE = r"^\s*,?\s*\((?P<values>.*?)\)\s*;?\s*(?P<comments>(?:/\*.*?\*/\s*)*)$"
SKIPPED = r"^\s*(?:$|;\s*$|(?:/\*.*?\*/\s*)+$|--)"
"""Blank lines, a lone semicolon, whole comments."""
VALUE = r"(?:'(?:[^'\\]|''|\\.)*'|NULL|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*)"
VALUES = rf"^\s*{VALUE}(?:\s*,\s*{VALUE})*\s*$"
"""What a position tuple holds: SQL values only ('text', NULL, a number, or a column's name, which AI Watch
writes for columns it leaves at their default), separated by commas."""
REVIEWED = r"Reviewed on (?:LinkedIn on )?(\d{4}-\d{2}-\d{2})"
PRECISIONS = ("day", "month", "year")
"""AI Watch also writes 'multi-year': a date known to within several years, too loose to use; such rows are counted."""
NEEDED = ("person", "organization", "start_date", "start_date_precision", "end_date", "end_date_precision")
COLUMNS = ["file", "line", *NEEDED, "reviewed"]


SNAPSHOT_KEYS = {
    "commit": (r"^[0-9a-f]{7,40}$", "must be the copied commit's hash (7 to 40 hexadecimal digits)"),
    "date": (r"^\d{4}-\d{2}-\d{2}$", f"must be the day of the copy, an ISO date (YYYY-MM-DD) between {FIRST_DAY} and "
                                     f"{LAST_DAY}"),
    "url": (r"^https?://[^\s\"'<>\\]+$", "must be the repository's address, starting with https:// or http://"),
}


def read_snapshot(folder: Path) -> dict:
    """The snapshot's commit, date and url, checked."""
    problems: list[Problem] = []
    raw = csvfiles.read_bytes(folder / SNAPSHOT_FILE, SNAPSHOT_FILE, problems)
    if raw is None:
        raise DataError(problems)
    try:
        section = tomllib.loads(raw.decode("utf-8")).get("snapshot")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise DataError([Problem(SNAPSHOT_FILE, None, None, None, f"cannot be read: {err}")]) from None
    if not isinstance(section, dict):
        raise DataError([Problem(SNAPSHOT_FILE, None, "snapshot", None, "needs a [snapshot] table with commit, date "
                                                                        "and url")])
    for key, (pattern, message) in SNAPSHOT_KEYS.items():
        value = section.get(key)
        day = _iso_day(value) if key == "date" else None
        if not isinstance(value, str) or not re.match(pattern, value) or (key == "date" and day is None):
            problems.append(Problem(SNAPSHOT_FILE, None, key, None if value is None else str(value), message))
    if problems:
        raise DataError(problems)
    return {key: section[key] for key in SNAPSHOT_KEYS}


def _iso_day(value: object) -> date | None:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def read_positions(folder: Path, as_of: str) -> pd.DataFrame:
    """One row per position in every .sql file of `folder`, with its file and line, dates as written.

    Raises DataError locating every line that is not a header, a comment or a position tuple,
    every tuple with the wrong number of values and every date or precision that cannot be read.
    """
    files = sorted(folder.glob("*.sql"))
    if not files:
        raise DataError([Problem(str(folder), None, None, None, "holds no .sql files of AI Watch positions")])
    problems: list[Problem] = []
    frames = [_file_positions(path, problems) for path in files]
    problems += [Problem(path.name, None, None, None, "holds no position: not an AI Watch positions table")
                 for path, frame in zip(files, frames) if frame.empty and not any(p.file == path.name for p in problems)]
    positions = _implied_precision(pd.concat(frames, ignore_index=True))
    problems += _date_problems(positions, as_of)
    if problems:
        raise DataError(problems)
    return positions


def _file_positions(path: Path, problems: list[Problem]) -> pd.DataFrame:
    """The positions of one file; each insert statement's header says which value is which."""
    raw = csvfiles.read_bytes(path, path.name, problems)
    try:
        lines = pd.Series([] if raw is None else raw.decode("utf-8").splitlines(), dtype="object")
    except UnicodeDecodeError as err:
        problems.append(Problem(path.name, None, None, None, f"cannot be read as UTF-8 text: {err}"))
        return pd.DataFrame(columns=COLUMNS)
    header = lines.str.extract(HEADER.pattern, flags=re.I)["columns"]
    parsed = lines.str.extract(TUPLE)
    is_tuple = parsed["values"].notna() & header.isna()
    odd = ~is_tuple & header.isna() & ~lines.str.match(SKIPPED)
    problems += [Problem(path.name, int(i) + 1, None, text[:80], "is not a header, a comment or a position tuple")
                 for i, text in lines[odd].items()]
    literal = parsed["values"].fillna("").str.fullmatch(VALUES)
    problems += [Problem(path.name, int(i) + 1, None, text[:80], "is not a list of SQL values ('text', NULL, "
                                                                 "numbers, separated by commas)")
                 for i, text in parsed["values"][is_tuple & ~literal].items()]
    is_tuple &= literal
    statement = header.ffill() if header.notna().any() else header  # (pandas warns on filling nothing but gaps)
    tuples = pd.DataFrame({"line": lines.index[is_tuple] + 1, "columns": statement[is_tuple].to_numpy(),
                           "values": list(csv.reader(parsed["values"][is_tuple].tolist(), quotechar="'",
                                                     escapechar="\\", skipinitialspace=True)),
                           "comments": parsed["comments"][is_tuple].to_numpy()})
    problems += [Problem(path.name, int(line), None, None, "a position tuple before any 'insert into positions(...)'")
                 for line in tuples["line"][tuples["columns"].isna()]]
    parts = [_statement(path.name, text, group, problems) for text, group in tuples.groupby("columns", sort=False)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def _statement(file: str, header: str, tuples: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """The positions under one insert statement's header (a few statements per file, not a loop per row)."""
    names = [n.strip().lower() for n in header.split(",")]
    lacking = [n for n in NEEDED if n not in names]
    if lacking:
        problems.append(Problem(file, int(tuples["line"].min()) - 1, None, None,
                                f"the insert statement lacks column(s) {', '.join(lacking)}"))
        return pd.DataFrame(columns=COLUMNS)
    counts = tuples["values"].map(len)
    problems += [Problem(file, int(line), None, None, f"has {n} values where the insert statement names {len(names)}")
                 for line, n in zip(tuples["line"][counts != len(names)], counts[counts != len(names)])]
    tuples = tuples[counts == len(names)]
    table = pd.DataFrame(tuples["values"].tolist(), columns=names, index=tuples.index)[list(NEEDED)]
    table = table.apply(lambda column: column.str.strip()).mask(lambda t: t.eq("NULL") | t.eq(""))
    reviews = tuples["comments"].str.findall(REVIEWED)
    table["reviewed"] = reviews.map(lambda found: max(found) if found else None)
    table.insert(0, "line", tuples["line"])
    table.insert(0, "file", file)
    return table.reset_index(drop=True)


def _implied_precision(positions: pd.DataFrame) -> pd.DataFrame:
    """A date written without its precision reads as loosely as it is written: 1 January as its year,
    the 1st of a month as its month, any other day as that day."""
    for column in ("start_date", "end_date"):
        text = positions[column]
        implied = np.select([text.str.slice(5).eq("01-01").fillna(False).astype(bool),
                             text.str.slice(8).eq("01").fillna(False).astype(bool)], ["year", "month"], "day")
        missing = text.notna() & positions[f"{column}_precision"].isna()
        positions[f"{column}_precision"] = positions[f"{column}_precision"].where(~missing, implied)
    return positions


def _date_problems(positions: pd.DataFrame, as_of: str) -> list[Problem]:
    """Dates that are not ISO days, precisions AI Watch does not use, ends before starts, days after `as_of`."""
    found: list[tuple[str, int, str, object, str]] = []

    def flag(mask: pd.Series, column: str, message: str) -> None:
        found.extend((f, int(line), column, value, message)
                     for f, line, value in zip(positions["file"][mask], positions["line"][mask], positions[column][mask]))

    for column in ("start_date", "end_date", "reviewed"):
        day = pd.to_datetime(positions[column], format="%Y-%m-%d", errors="coerce")
        flag(positions[column].notna() & day.isna(), column, "is not a date written YYYY-MM-DD")
        flag(day > pd.Timestamp(as_of), column, f"is after the snapshot's date ({as_of})")
    for column in ("start_date_precision", "end_date_precision"):
        date_given = positions[column.removesuffix("_precision")].notna()
        known = positions[column].isin([*PRECISIONS, "multi-year"])
        flag(date_given & ~known, column, f"must be one of {', '.join(PRECISIONS)} or multi-year")
    starts, ends = _bounds(positions, "start_date"), _bounds(positions, "end_date")
    flag(ends[1] < starts[0], "end_date", "is before the start date")
    return [Problem(*row) for row in sorted(found, key=lambda r: (r[0], r[1]))]


def _bounds(positions: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """First and last day a date of the given precision may stand for (NaT where unreadable)."""
    lo = pd.to_datetime(positions[column], format="%Y-%m-%d", errors="coerce")
    precision = positions[f"{column}_precision"]
    hi = lo.where(precision != "month", lo + pd.offsets.MonthBegin(1) - pd.Timedelta(days=1))
    hi = hi.where(precision != "year", lo + pd.DateOffset(years=1) - pd.Timedelta(days=1))
    return lo, hi


def _last_day(column: str) -> str:
    """SQL: the last day a date of the given precision may stand for."""
    return (f"CAST(CAST({column} AS DATE) + CASE {column}_precision WHEN 'month' THEN INTERVAL 1 MONTH "
            f"WHEN 'year' THEN INTERVAL 1 YEAR ELSE INTERVAL 1 DAY END - INTERVAL 1 DAY AS DATE)")


SPELLS = f"""
    WITH usable AS (
        SELECT *, CAST(start_date AS DATE) AS start_lo, CAST(end_date AS DATE) AS end_lo,
               {_last_day('end_date')} AS end_hi FROM positions
        WHERE start_date IS NOT NULL AND start_date_precision IN ('day', 'month', 'year')
          AND (end_date IS NULL OR end_date_precision IN ('day', 'month', 'year'))),
    reach AS (
        SELECT *, max(coalesce(end_hi, DATE '9999-12-31')) OVER (PARTITION BY person, organization
                  ORDER BY start_lo, file, line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
        FROM usable),
    islands AS (
        SELECT *, sum(CASE WHEN reach IS NULL OR start_lo > reach THEN 1 ELSE 0 END) OVER (
                      PARTITION BY person, organization ORDER BY start_lo, file, line ROWS UNBOUNDED PRECEDING) AS spell
        FROM reach)
    SELECT person, organization, CAST(spell AS INTEGER) AS spell,
           arg_min(start_date, (start_lo, file, line)) AS start_date,
           arg_min(start_date_precision, (start_lo, file, line)) AS start_precision,
           CASE WHEN bool_and(end_date IS NOT NULL) THEN arg_max(end_date, (end_hi, end_lo, file, line)) END AS end_date,
           CASE WHEN bool_and(end_date IS NOT NULL) THEN arg_max(end_date_precision, (end_hi, end_lo, file, line)) END
               AS end_precision,
           CASE WHEN bool_or(end_date IS NULL) THEN greatest(max(reviewed) FILTER (WHERE end_date IS NULL),
                arg_min(start_date, (start_lo, file, line))) END AS last_observed,
           bool_or(end_date IS NULL AND reviewed IS NOT NULL) AS reviewed,
           count(*) AS positions, string_agg(file || ':' || line, ' ' ORDER BY file, line) AS lines
    FROM islands GROUP BY person, organization, spell ORDER BY organization, person, spell"""
"""Positions that overlap or touch become one spell (a new title, a second role): a new spell starts
only where a position begins after every earlier one had surely ended. It runs from its first start
to its latest end, or stays open if any of its positions is open; an open spell's last observation
is its latest review, or its start when it was never reviewed."""


def spells(positions: pd.DataFrame) -> pd.DataFrame:
    """One row per person, organisation and spell, dates and precisions as AI Watch wrote them."""
    engine = Engine(input_bytes=int(positions.memory_usage().sum()))
    engine.load_frame("positions", positions)
    return engine.frame(SPELLS)


def coverage(folder: Path) -> pd.DataFrame:
    """Per organisation: positions, people, the spells they make, open spells and how many of those were
    ever reviewed, and positions left out (no start date, or a date known only to within several years)."""
    positions = read_positions(folder, read_snapshot(folder)["date"])
    usable = positions["start_date"].notna() & positions["start_date_precision"].isin(PRECISIONS) & \
        (positions["end_date"].isna() | positions["end_date_precision"].isin(PRECISIONS))
    table = spells(positions)
    open_spells = table[table["end_date"].isna()]
    frame = pd.DataFrame({
        "positions": positions.groupby("organization").size(),
        "left_out": (~usable).groupby(positions["organization"]).sum(),
        "people": table.groupby("organization")["person"].nunique(),
        "spells": table.groupby("organization").size(),
        "open_spells": open_spells.groupby("organization").size(),
        "open_reviewed": open_spells.groupby("organization")["reviewed"].sum()})
    return frame.fillna(0).astype("int64").rename_axis("organization").reset_index()


MAPPING = """[roster]
person_column = "person"
company_column = "organization"
start_column = "start_date"
start_precision_column = "start_precision"
end_column = "end_date"
end_precision_column = "end_precision"
observed_until_column = "last_observed"
observed_until = "{date}"
source_title = "AI Watch positions (riceissa/aiwatch at {commit}, CC0; {url}), overlapping positions merged into spells"
title = "AI Watch positions"
licence = "CC0 1.0 (AI Watch, github.com/riceissa/aiwatch)"

[roster.words]
person = "person"
people = "people"
company = "lab"
companies = "labs"
"""
"""Staff of the open roster appear on the site only in counts (public is left false), as the README says."""


def import_aiwatch(folder: Path, out: Path, known_as_of: str | None = None) -> dict:
    """Read the snapshot in `folder`, merge positions into spells and write the dataset folder `out` (as known on
    `known_as_of`: see `import_roster`)."""
    check_target(out, folder, replaces_dataset=True)
    snapshot = read_snapshot(folder)
    table = spells(read_positions(folder, snapshot["date"]))
    with exclusive(out):  # the spells go through the roster importer from a file in the output's work folder
        work = scratch(out, "aiwatch-")
        export, mapping = work / f"aiwatch-{snapshot['commit'][:7]}.csv", work / "aiwatch.toml"
        table.drop(columns=["reviewed", "positions", "lines"]).to_csv(export, index=False)
        mapping.write_text(MAPPING.format(**snapshot), encoding="utf-8")
        return import_roster(export, mapping, out, locked=True, known_as_of=known_as_of)


def open_roster(folder: Path):
    """The AI Watch snapshot in `folder` as a checked Dataset, imported once into the cache and reused."""
    from attrition.io.dataset import load

    digest = hashlib.sha256(cache.code_version().encode())
    for path in sorted([*folder.glob("*.sql"), folder / SNAPSHOT_FILE]):
        try:
            digest.update(path.name.encode() + b"\0" + bytes.fromhex(cache.file_sha256(path)))
        except OSError:  # reading the folder again names the problem
            digest.update(path.name.encode() + b"\0unreadable")
    target = cache.root() / "imports" / f"aiwatch-{digest.hexdigest()[:24]}"
    why = cache.damaged(target) if target.exists() else "absent"
    if why:
        if why != "absent":
            cache.discard(target, why)
        import_aiwatch(folder, target)
        cache.seal(target)
    return load(target)
