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
import mmap
import os
import stat
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
BUFFER_BYTES = 16 * MAX_LINE_BYTES
"""DuckDB's read buffer (16 times MAX_LINE_BYTES): it drops an unquoted record this long or longer without a
word, so the loader looks for one itself (`longest_line`) in files that are at least this large."""
PREFIX_BYTES = 1024 * 1024
"""How much of a file Python decodes up front: enough for the header and to spot an empty file."""


class NotAFile(OSError):
    """The path is a FIFO, a device or a socket: reading it could wait forever, so it is refused."""


def open_file(path: Path):
    """The file opened for reading in binary, refusing anything that is not a regular file (a FIFO would block
    every command: it is opened without waiting and looked at before anything is read)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.close(fd)
        raise IsADirectoryError(path)
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotAFile(f"{path} is not a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _unreadable(path: Path, name: str, err: OSError) -> Problem:
    if isinstance(err, IsADirectoryError):
        return Problem(name, None, None, None, f"{path} is a folder, not a file")
    if isinstance(err, NotAFile):
        return Problem(name, None, None, None, f"{path} is not a regular file (a FIFO, a device or a socket); "
                                               "only files are read")
    if isinstance(err, FileNotFoundError):
        return Problem(name, None, None, None, f"file not found in {path.parent}")
    return Problem(name, None, None, None, f"cannot be read: {err.strerror or err}")


def read_bytes(path: Path, name: str, problems: list[Problem]) -> bytes | None:
    """The file's bytes, or a located problem when it is missing, a folder, not a regular file or unreadable."""
    try:
        with open_file(path) as handle:
            return handle.read()
    except OSError as err:
        problems.append(_unreadable(path, name, err))
    return None


def read_prefix(path: Path, name: str, problems: list[Problem]) -> str | None:
    """The start of a file as text (the header is in it), or None with a located problem.

    Only the start is decoded here; DuckDB checks the encoding of the rest while parsing, and a
    bad byte anywhere is then located exactly by `decode`.
    """
    try:
        with open_file(path) as handle:
            raw = handle.read(PREFIX_BYTES)
            complete = not handle.read(1)
    except OSError as err:
        problems.append(_unreadable(path, name, err))
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
    order); False if the file is malformed.

    Every record longer than MAX_LINE_BYTES is refused, whatever its length (`long_line` finds those
    DuckDB would drop). A file the strict csv module reads but DuckDB's strict parser does not (line
    endings that mix CRLF and LF, as a spreadsheet appending to a file writes) is read as CSV readers
    read it: by DuckDB's lenient parser, whose row count must then equal the csv module's.
    """
    line = long_line(path)
    if line is not None:
        problems.append(Problem(spec.file, line, None, None, TOO_LONG))
        return False
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    picked = ", ".join(
        f'c{names.index(c.name)} AS "{c.name}"' if c.name in names else f'NULL AS "{c.name}"' for c in spec.columns)
    try:
        rejected = _read_csv(engine, spec, path, columns, picked, freeze, strict=True)
    except duckdb.Error as err:  # DuckDB gave up on the file as a whole: the strict csv pass says where and why
        found = structure_problems(path, spec.file, len(names))
        if not found:
            return _read_leniently(engine, spec, path, columns, picked, freeze, err, problems)
        problems.extend(found)
        return False
    if not rejected:
        return True
    if any(kind == "INVALID ENCODING" for _, kind, _ in rejected):
        found: list[Problem] = []
        with open_file(path) as handle:
            decode(handle.read(), spec.file, found)
    else:
        found = structure_problems(path, spec.file, len(names))
    problems.extend(found or [Problem(spec.file, int(line), None, None, TOO_LONG if kind == "LINE SIZE OVER MAXIMUM"
                                      else message) for line, kind, message in rejected])
    return False


def _read_csv(engine: Engine, spec: TableSpec, path: Path, columns: str, picked: str, freeze: date | None,
              strict: bool) -> list[tuple]:
    """Read the file with DuckDB straight into `checks.typed_table`; returns the rows it rejected (line, kind,
    message)."""
    rejects = f"rejects_{spec.name}"
    engine.run(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")
    source = (f"(SELECT {picked} FROM read_csv({literal(str(path))}, auto_detect=false, header=true, delim=',', "
              f"quote='\"', escape='\"', columns={columns}, strict_mode={str(strict).lower()}, null_padding=false, "
              f"store_rejects=true, rejects_table='{rejects}', rejects_scan='{rejects}_scan', "
              f"max_line_size={MAX_LINE_BYTES})) AS records")
    checks.typed_table(engine, spec, source, freeze, numbered=False)
    return engine.rows(f"SELECT line, error_type, error_message FROM {rejects} ORDER BY line")


def _read_leniently(engine: Engine, spec: TableSpec, path: Path, columns: str, picked: str, freeze: date | None,
                    strict_error: Exception, problems: list[Problem]) -> bool:
    """The strict csv module reads the file whole: read it with DuckDB's lenient parser, and keep the rows only
    if they are exactly the records the csv module found."""
    reason = str(strict_error).splitlines()[0].removeprefix("Invalid Input Error: ")
    try:
        rejected = _read_csv(engine, spec, path, columns, picked, freeze, strict=False)
        read = engine.rows(f"SELECT count(*) FROM {checks.rows_of(spec.name)}")[0][0]
    except duckdb.Error:
        rejected, read = [("", "", "")], -1
    if not rejected and read == len(record_lines(path)):
        return True
    problems.append(Problem(spec.file, None, None, None, f"cannot be read as CSV: {reason}"))
    return False


def long_line(path: Path) -> int | None:
    """The first physical line longer than MAX_LINE_BYTES (its record is too long), or None.

    DuckDB reports such records, except an unquoted one as long as its read buffer (BUFFER_BYTES) or
    longer, which it drops without a word; so the loader looks for them itself. A line that long
    contains a whole block of half MAX_LINE_BYTES, so only a block with no line break is looked at
    closely: finding the first break in each block reads a few bytes of it, whatever the file's size.
    """
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    if size <= MAX_LINE_BYTES:
        return None
    half = MAX_LINE_BYTES // 2
    breaks = lambda data, lo, hi, find: [i for i in (find(b"\n", lo, hi), find(b"\r", lo, hi)) if i >= 0]
    with open_file(path) as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for block in range(0, size - half + 1, half):
            if breaks(data, block, block + half, data.find):
                continue
            start = max(breaks(data, 0, block, data.rfind), default=-1) + 1
            end = min(breaks(data, block, size, data.find), default=size)
            if end - start > MAX_LINE_BYTES:
                return 1 + sum(data[i: min(i + half, start)].count(b"\n") for i in range(0, start, half))
    return None


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

