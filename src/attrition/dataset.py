"""Load the hand-curated CSV files and check them, reporting every problem with file, line and column.

The raw files are only ever read. Loading either returns a complete, typed `Dataset` or raises
`DataError` listing all problems found, so no later step works on half-checked data.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from attrition.registry import READINGS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = Path(os.environ.get("ATTRITION_DATA", REPO_ROOT / "data"))
"""The repository's data/, unless ATTRITION_DATA names another folder (e.g. to run the notebooks on it)."""

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

COHORTS = ("founder", "hire", "executive")
EVENTS = ("join", "leave", "step_back", "return")
START_EVENTS = ("join", "return")
END_EVENTS = ("leave", "step_back")
MEASURES = ("technical_staff", "hires", "departures", "employees")
QUALIFIERS = ("exact", "at_least", "about")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, located precisely enough to fix by hand."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        return ": ".join(parts) + f": {self.message}"


class DataError(Exception):
    """Raised with every problem found, so a curator can fix them all in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class TableSpec:
    """Name, required columns and per-column checks of one CSV file."""

    name: str
    columns: tuple[str, ...]
    slugs: tuple[str, ...] = ()
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dates: tuple[str, ...] = ()
    optional_dates: tuple[str, ...] = ()
    intervals: tuple[tuple[str, str], ...] = ()
    integers: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    optional_file: bool = False


SPECS = {
    "sources": TableSpec(
        "sources.csv",
        ("source_id", "publisher", "title", "url", "published", "language", "note"),
        slugs=("source_id",),
        optional_dates=("published",),
        required=("publisher", "title", "language"),
        key=("source_id",),
    ),
    "people": TableSpec(
        "people.csv",
        ("person_id", "name", "company", "cohort", "prior_affiliations", "role", "note"),
        slugs=("person_id", "company"),
        enums={"cohort": COHORTS},
        required=("name",),
        key=("person_id", "company"),
    ),
    "evidence": TableSpec(
        "evidence.csv",
        ("person_id", "company", "spell", "event", "earliest", "latest", "source_id", "paraphrase", "note"),
        slugs=("person_id", "company", "source_id"),
        enums={"event": EVENTS},
        dates=("earliest", "latest"),
        intervals=(("earliest", "latest"),),
        integers=("spell",),
        required=("paraphrase",),
        key=("person_id", "company", "spell", "event", "source_id"),
    ),
    "milestones": TableSpec(
        "milestones.csv",
        ("company", "milestone_id", "label", "earliest", "latest", "source_id", "note"),
        slugs=("company", "milestone_id", "source_id"),
        dates=("earliest", "latest"),
        intervals=(("earliest", "latest"),),
        required=("label",),
        key=("company", "milestone_id", "source_id"),
    ),
    "counts": TableSpec(
        "reported_counts.csv",
        ("count_id", "company", "measure", "start", "end", "value", "qualifier", "scope_note", "source_id"),
        slugs=("count_id", "company", "source_id"),
        enums={"measure": MEASURES, "qualifier": QUALIFIERS},
        dates=("start", "end"),
        intervals=(("start", "end"),),
        integers=("value",),
        key=("count_id",),
    ),
    "claims": TableSpec(
        "claims.csv",
        ("claim_id", "source_id", "claim", "as_of", "metric", "params", "reported", "reading", "tolerance", "note"),
        slugs=("claim_id", "source_id"),
        enums={"reading": READINGS},
        dates=("as_of",),
        required=("claim",),
        key=("claim_id",),
        optional_file=True,
    ),
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """The checked raw tables. Each frame keeps a `line` column pointing back to its CSV line.

    Compared and hashed by identity, so derived tables can be cached per loaded dataset.
    """

    data_dir: Path
    freeze_date: date
    sources: pd.DataFrame
    people: pd.DataFrame
    evidence: pd.DataFrame
    milestones: pd.DataFrame
    counts: pd.DataFrame
    claims: pd.DataFrame

    @property
    def companies(self) -> list[str]:
        return sorted(self.people["company"].unique())


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    """Decode a file as UTF-8 (BOM allowed); report where the first undecodable byte sits."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        line = raw.count(b"\n", 0, err.start) + 1
        prefix = raw[line_start : err.start].decode("utf-8-sig", errors="replace")
        header = next(csv.reader([raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")]), [])
        col_index = len(next(csv.reader([prefix]), [""])) - 1
        column = header[col_index] if 0 <= col_index < len(header) else None
        bad = raw[err.start : err.end].hex(" ")
        problems.append(Problem(path.name, line, column, f"0x{bad}", "not valid UTF-8; save the file as UTF-8"))
        return None
    if not text.strip():
        problems.append(Problem(path.name, 1, None, "", "file is empty; it needs at least a header row"))
        return None
    return text


def _read_rows(path: Path, spec: TableSpec, problems: list[Problem]) -> pd.DataFrame | None:
    """Parse one CSV into strings, checking the header and the field count of every row."""
    if not path.exists():
        if spec.optional_file:
            return pd.DataFrame(columns=[*spec.columns, "line"])
        problems.append(Problem(spec.name, None, None, None, f"file not found in {path.parent}"))
        return None
    text = _read_text(path, problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    missing = [c for c in spec.columns if c not in header]
    for column in missing:
        problems.append(Problem(spec.name, 1, column, ",".join(header), "required column is missing from the header"))
    if missing:
        return None
    records = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                Problem(spec.name, reader.line_num, None, ",".join(row),
                        f"row has {len(row)} fields but the header has {len(header)}")
            )
            continue
        record = {h: cell.strip() for h, cell in zip(header, row) if h in spec.columns}
        record["line"] = reader.line_num
        records.append(record)
    return pd.DataFrame.from_records(records, columns=[*spec.columns, "line"])


def _check_cells(frame: pd.DataFrame, spec: TableSpec, freeze: date | None, problems: list[Problem]) -> pd.DataFrame:
    """Check each cell against the spec and convert dates and integers; bad cells are reported."""

    def report(row: dict, column: str, message: str) -> None:
        problems.append(Problem(spec.name, int(row["line"]), column, row[column], message))

    out = frame.copy()
    for row in frame.to_dict("records"):
        for column in spec.required:
            if not row[column]:
                report(row, column, "must not be empty")
        for column in spec.slugs:
            if not SLUG.match(row[column]):
                report(row, column, "must be a slug: lower-case ASCII letters, digits and single hyphens")
        for column, allowed in spec.enums.items():
            if row[column] not in allowed:
                report(row, column, f"must be one of {', '.join(allowed)}")
        for column in spec.integers:
            if not re.fullmatch(r"\d+", row[column]) or (column == "spell" and int(row[column]) < 1):
                report(row, column, "must be a whole number" + (" of at least 1" if column == "spell" else ""))
        for column in (*spec.dates, *spec.optional_dates):
            value = row[column]
            if not value and column in spec.optional_dates:
                continue
            parsed = _parse_date(value)
            if parsed is None:
                report(row, column, "is not a valid ISO date (YYYY-MM-DD)")
            elif freeze is not None and parsed > freeze:
                report(row, column, f"is after the dataset's freeze date {freeze.isoformat()}")
        for lo, hi in spec.intervals:
            lo_d, hi_d = _parse_date(row[lo]), _parse_date(row[hi])
            if lo_d and hi_d and hi_d < lo_d:
                report(row, hi, f"{hi} is before {lo} ({row[lo]})")
    for column in (*spec.dates, *spec.optional_dates):
        out[column] = pd.to_datetime(out[column].map(_parse_date), errors="coerce")
    for column in spec.integers:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    duplicated = out.duplicated(list(spec.key), keep="first")
    for _, row in frame[duplicated].iterrows():
        key = ", ".join(f"{k}={row[k]}" for k in spec.key)
        first = int(frame.loc[(frame[list(spec.key)] == row[list(spec.key)]).all(axis=1), "line"].iloc[0])
        problems.append(Problem(spec.name, int(row.line), spec.key[-1], row[spec.key[-1]],
                                f"duplicate id ({key}); first given on line {first}"))
    return out


def _parse_date(value: str) -> date | None:
    if not ISO_DATE.match(value or ""):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def read_freeze_date(data_dir: Path, problems: list[Problem]) -> date | None:
    """The dataset's freeze date from dataset.toml: the default as-of date everywhere."""
    path = data_dir / "dataset.toml"
    if not path.exists():
        problems.append(Problem("dataset.toml", None, None, None, f"file not found in {data_dir}"))
        return None
    try:
        config = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        line = getattr(err, "lineno", None)
        problems.append(Problem("dataset.toml", line, None, None, f"cannot be read: {err}"))
        return None
    value = str(config.get("dataset", {}).get("freeze_date", ""))
    freeze = _parse_date(value)
    if freeze is None:
        line = next((i for i, text in enumerate(path.read_text("utf-8-sig").splitlines(), 1) if "freeze_date" in text), None)
        problems.append(Problem("dataset.toml", line, "freeze_date", value,
                                "[dataset] freeze_date must be an ISO date (YYYY-MM-DD)"))
    return freeze


def _check_references(ds: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """Every id used in one file must be defined in the file that owns it."""
    known_sources = set(ds["sources"]["source_id"])
    for name in ("evidence", "milestones", "counts", "claims"):
        frame = ds[name]
        for row in frame[~frame["source_id"].isin(known_sources)].itertuples():
            problems.append(Problem(SPECS[name].name, int(row.line), "source_id",
                                    row.source_id, "unknown source_id: add it to sources.csv"))
    people_keys = set(zip(ds["people"]["person_id"], ds["people"]["company"]))
    for row in ds["evidence"].itertuples():
        if (row.person_id, row.company) not in people_keys:
            problems.append(Problem("evidence.csv", int(row.line), "person_id", row.person_id,
                                    f"unknown person at company {row.company!r}: add them to people.csv"))
    companies = set(ds["people"]["company"])
    for name in ("milestones", "counts"):
        for row in ds[name][~ds[name]["company"].isin(companies)].itertuples():
            problems.append(Problem(SPECS[name].name, int(row.line), "company", row.company,
                                    "unknown company: no one in people.csv works there"))


def _check_spells(evidence: pd.DataFrame, people: pd.DataFrame, problems: list[Problem]) -> None:
    """Each spell needs a start (join or return), and no end may come before its start."""
    ev = evidence.dropna(subset=["earliest", "latest", "spell"])
    for row in people.itertuples():
        mine = ev[(ev.person_id == row.person_id) & (ev.company == row.company)]
        if not (mine.spell.eq(1) & mine.event.eq("join")).any():
            problems.append(Problem("people.csv", int(row.line), "person_id", row.person_id,
                                    "no join row in evidence.csv for spell 1; every person needs a sourced join"))
    for (person, company, spell), rows in ev.groupby(["person_id", "company", "spell"]):
        start_event = "join" if spell == 1 else "return"
        starts = rows[rows.event == start_event]
        wrong = rows[rows.event.isin(START_EVENTS) & (rows.event != start_event)]
        for row in wrong.itertuples():
            expected = "spell 1 starts with a join" if spell == 1 else f"spell {spell} starts with a return"
            problems.append(Problem("evidence.csv", int(row.line), "event", row.event, expected))
        if starts.empty:
            if spell > 1:
                line = int(rows.line.min())
                problems.append(Problem("evidence.csv", line, "spell", str(spell),
                                        f"spell {spell} of {person} has no return row to start it"))
            continue
        start_lo = starts.earliest.min()
        for row in rows[rows.event.isin(END_EVENTS)].itertuples():
            if row.latest < start_lo:
                problems.append(Problem("evidence.csv", int(row.line), "latest", row.latest.date().isoformat(),
                                        f"{row.event} ends before the {start_event} starts ({start_lo.date().isoformat()})"))


def load(data_dir: Path | str | None = None) -> Dataset:
    """Read and check every data file; raise DataError listing all problems if any."""
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    problems: list[Problem] = []
    if not data_dir.is_dir():
        raise DataError([Problem(str(data_dir), None, None, None, "data directory not found")])
    freeze = read_freeze_date(data_dir, problems)
    frames: dict[str, pd.DataFrame] = {}
    for key, spec in SPECS.items():
        rows = _read_rows(data_dir / spec.name, spec, problems)
        if rows is not None:
            frames[key] = _check_cells(rows, spec, freeze, problems)
    if len(frames) == len(SPECS):
        _check_references(frames, problems)
        _check_spells(frames["evidence"], frames["people"], problems)
        from attrition.claims import claim_problems  # needs the metric functions, which need this module

        problems.extend(claim_problems(frames["claims"]))
    if problems or freeze is None:
        raise DataError(problems)
    return Dataset(data_dir=data_dir, freeze_date=freeze, **frames)
