"""Read one curated CSV file into the engine as text, refusing anything that is not a well-formed table.

DuckDB's strict CSV reader parses the rows (fast, in C, on every core). The standard `csv` module,
in strict mode, is the reference for the file's structure: when DuckDB rejects a row, or when a
later check needs a line number, one strict pass over the file says exactly which physical line
each record starts on and what is wrong with a malformed one. Valid data never pays for that pass.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from array import array
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb

from attrition.backends.duckdb import Engine, literal
from attrition.io import checks
from attrition.schema import MAX_FIELD_CHARS, Problem, TableSpec

MAX_LINE_BYTES = 4 * 1024 * 1024
"""DuckDB's limit on one record, which also sets the blocks it parses in parallel (16 times this): a record
this long holds every field of any table at its limit (MAX_FIELD_CHARS, four bytes a character), so a
longer field up to here is read and then refused by the length check, and a longer record is refused here."""
TOO_LONG = (f"the record is longer than {MAX_LINE_BYTES >> 20} MiB, more than its fields may hold "
            f"({MAX_FIELD_CHARS:,} characters each)")
PREFIX_BYTES = 1024 * 1024
"""How much of a file Python decodes up front: enough for the header and to spot an empty file."""


def read_bytes(path: Path, name: str, problems: list[Problem]) -> bytes | None:
    """The file's bytes, or a located problem when it is missing, a folder or unreadable."""
    try:
        return path.read_bytes()
    except IsADirectoryError:
        problems.append(Problem(name, None, None, None, f"{path} is a folder, not a file"))
    except FileNotFoundError:
        problems.append(Problem(name, None, None, None, f"file not found in {path.parent}"))
    except OSError as err:
        problems.append(Problem(name, None, None, None, f"cannot be read: {err.strerror or err}"))
    return None


def read_prefix(path: Path, name: str, problems: list[Problem]) -> str | None:
    """The start of a file as text (the header is in it), or None with a located problem.

    Only the start is decoded here; DuckDB checks the encoding of the rest while parsing, and a
    bad byte anywhere is then located exactly by `decode`.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read(PREFIX_BYTES)
            complete = not handle.read(1)
    except IsADirectoryError:
        problems.append(Problem(name, None, None, None, f"{path} is a folder, not a file"))
        return None
    except FileNotFoundError:
        problems.append(Problem(name, None, None, None, f"file not found in {path.parent}"))
        return None
    except OSError as err:
        problems.append(Problem(name, None, None, None, f"cannot be read: {err.strerror or err}"))
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=complete)
    except UnicodeDecodeError:
        return decode(raw, name, problems)
    if not text.strip() and complete:
        problems.append(Problem(name, 1, None, "", "file is empty; it needs at least a header row"))
        return None
    return text


def decode(raw: bytes, name: str, problems: list[Problem]) -> str | None:
    """Decode as UTF-8 (a byte-order mark is allowed); report where the first undecodable byte sits."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        line = raw.count(b"\n", 0, err.start) + 1
        prefix = raw[line_start: err.start].decode("utf-8-sig", errors="replace")
        first_line = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
        header = first_record(first_line) or []
        col_index = len(first_record(prefix) or [""]) - 1
        column = header[col_index] if 0 <= col_index < len(header) else None
        bad = raw[err.start: err.end].hex(" ")
        problems.append(Problem(name, line, column, f"0x{bad}", "not valid UTF-8; save the file as UTF-8"))
        return None
    if not text.strip():
        problems.append(Problem(name, 1, None, "", "file is empty; it needs at least a header row"))
        return None
    return text


def first_record(text: str) -> list[str] | None:
    """The first CSV record of `text` (the header), or None when it is not valid CSV."""
    try:
        return next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error:
        return None


def header(text: str, spec: TableSpec, problems: list[Problem]) -> list[str] | None:
    """The header's column names, refusing duplicates and missing required columns."""
    names = [h.strip() for h in (first_record(text) or [])]
    joined = ",".join(names)
    seen: set[str] = set()
    ok = True
    for name in names:
        if name in seen:
            problems.append(Problem(spec.file, 1, name, joined,
                                    "this column name appears twice in the header; rename or remove one"))
            ok = False
        seen.add(name)
    for column in spec.columns:
        if column.name not in seen and not column.optional:
            problems.append(Problem(spec.file, 1, column.name, joined, "required column is missing from the header"))
            ok = False
    return names if ok else None


def load_table(engine: Engine, spec: TableSpec, path: Path, names: list[str], problems: list[Problem],
               freeze: date | None) -> bool:
    """Parse and type the records in one pass (`checks.typed_table`: table `<name>`, records numbered in file
    order); False if the file is malformed."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    rejects = f"rejects_{spec.name}"
    picked = ", ".join(
        f'c{names.index(c.name)} AS "{c.name}"' if c.name in names else f'NULL AS "{c.name}"' for c in spec.columns)
    engine.run(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")
    source = (f"(SELECT {picked} FROM read_csv({literal(str(path))}, auto_detect=false, header=true, delim=',', "
              f"quote='\"', escape='\"', columns={columns}, strict_mode=true, null_padding=false, store_rejects=true, "
              f"rejects_table='{rejects}', rejects_scan='{rejects}_scan', max_line_size={MAX_LINE_BYTES})) AS records")
    try:
        checks.typed_table(engine, spec, source, freeze, numbered=False)
    except duckdb.Error as err:  # DuckDB gave up on the file as a whole: the strict csv pass says where and why
        found = structure_problems(path, spec.file, len(names))
        reason = str(err).splitlines()[0].removeprefix("Invalid Input Error: ")
        problems.extend(found or [Problem(spec.file, None, None, None, f"cannot be read as CSV: {reason}")])
        return False
    rejected = engine.rows(f"SELECT line, error_type, error_message FROM {rejects} ORDER BY line")
    if not rejected:
        return True
    if any(kind == "INVALID ENCODING" for _, kind, _ in rejected):
        found: list[Problem] = []
        decode(path.read_bytes(), spec.file, found)
    else:
        found = structure_problems(path, spec.file, len(names))
    problems.extend(found or [Problem(spec.file, int(line), None, None, TOO_LONG if kind == "LINE SIZE OVER MAXIMUM"
                                      else message) for line, kind, message in rejected])
    return False


def _open(path: Path):
    return open(path, newline="", encoding="utf-8-sig")


class MalformedCSV(Exception):
    """The strict csv module stopped: the record starting on `line` breaks the quoting rules."""

    def __init__(self, line: int, reason: str):
        self.line, self.reason = line, reason
        super().__init__(f"line {line}: {reason}")


def _records(path: Path):
    """(start line, fields) of every non-blank record, in file order, read by the strict csv module."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with _open(path) as handle:
            reader = csv.reader(handle, strict=True)
            previous_end = 0
            while True:
                start = previous_end + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as err:
                    raise MalformedCSV(start, str(err)) from None
                previous_end = reader.line_num
                if row:
                    yield start, row
    finally:
        csv.field_size_limit(limit)


STRUCTURE_WORDS = {
    f"field larger than field limit ({MAX_LINE_BYTES})": TOO_LONG,
    "unexpected end of data": 'a quoted field that starts in this record is never closed: add the closing "',
    "',' expected after '\"'": 'text follows a closing quote: put the whole field in quotes and double any " inside it',
}


def structure_problems(path: Path, name: str, n_columns: int) -> list[Problem]:
    """Rows whose field count differs from the header's, and the first place the quoting breaks."""
    problems = []
    try:
        records = _records(path)
        next(records, None)  # the header
        for start, row in records:
            if len(row) != n_columns:
                problems.append(Problem(name, start, None, ",".join(row)[:200],
                                        f"row has {len(row)} fields but the header has {n_columns}"))
    except MalformedCSV as err:
        message = STRUCTURE_WORDS.get(err.reason, f"the file is not valid CSV here: {err.reason}")
        problems.append(Problem(name, err.line, None, None, message))
    return problems


@lru_cache(maxsize=32)
def _record_lines(path: str, size: int, mtime_ns: int) -> array:
    lines = array("q", (start for start, _ in _records(Path(path))))
    return lines[1:]


def record_lines(path: Path) -> array:
    """Physical line on which each data record (rec 0, 1, ...) starts; computed only when needed.
    A compact array of integers from the standard library: no numpy for a command that only checks files."""
    stat = os.stat(path)
    return _record_lines(str(path), stat.st_size, stat.st_mtime_ns)

