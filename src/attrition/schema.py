"""Every canonical table declared once: its file, columns and their kinds, key and references.

The readers (the curated CSV files, the roster importer, the Parquet cache) produce these tables and
`attrition.io.checks` enforces them; the measures above only ever see tables that passed. data/README.md
documents the same columns, and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
FIRST_DAY, LAST_DAY = date(1700, 1, 1), date(2200, 12, 31)
"""Dates outside this range are refused: no roster needs them, and pandas' timestamps stop at 2262."""
EPOCH = date(1970, 1, 1)
"""Day 0: the engine holds every date as the number of days since this one."""

MAX_FIELD_CHARS = 65_536
"""Longer fields are refused: a paraphrase or note is a few sentences, never a whole document."""

COHORTS = ("founder", "hire", "executive")
HIRING_BASES = ("roster", "reported")
"""What a hiring metric counts: the named roster's joins, or the counts sources reported."""
EVENTS = ("join", "leave", "step_back", "return", "observed")
START_EVENTS = ("join", "return")
END_EVENTS = ("leave", "step_back")
MEASURES = ("technical_staff", "hires", "departures", "employees")
QUALIFIERS = ("exact", "at_least", "about")
READINGS = ("exact", "about", "at_least", "more_than", "less_than", "between", "includes", "excludes", "not_evaluated")
"""How a claim's reported value is read: see attrition.claims.verdict."""
GRADES = ("A", "B", "C")
"""Source reliability: A primary or first-tier, B secondary or regional, C aggregator or known errors (data/README.md)."""
MOVE_CATEGORIES = ("founded", "returned", "ai_lab", "big_tech", "academia", "investing", "personal", "unknown")
"""Where a leaver went, first matching category wins (data/README.md)."""
BASE_RATE_MEASURES = ("left_company", "not_ceo", "replaced")
"""What a published base rate counts: founders gone from the company, founders no longer CEO (they may have
stayed), founders replaced in a role they held (they may have stayed)."""
REASON_CATEGORIES = ("voluntary", "dismissed", "retired", "death or health", "end of term",
                     "moved to another organisation", "unknown")
"""Why a spell ended, as an imported roster's mapping sorts its reasons (a roster may add its own categories)."""
CHANGES = ("narrowed", "widened", "added", "removed", "source_added", "source_replaced", "paraphrase_fixed",
           "confirmed_unverifiable", "team_changed")


def day_number(day: date) -> int:
    """A calendar day as the engine holds it: days since EPOCH."""
    return (day - EPOCH).days


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
class Column:
    """One column: `kind` is text, slug, enum, date, int, number (a decimal) or url; `required` means it may not
    be empty."""

    name: str
    kind: str = "text"
    required: bool = False
    values: tuple[str, ...] = ()
    minimum: int = 0
    maximum: float | None = None
    """The largest value a number may take (none: unbounded)."""
    optional: bool = False
    """The column may be absent from the file (it is then empty everywhere)."""


@dataclass(frozen=True)
class Reference:
    """Columns of one table that must name a row of another (a foreign key), with the fix to suggest."""

    columns: tuple[str, ...]
    table: str
    target: tuple[str, ...]
    message: str
    optional: bool = False
    """An empty value names nothing and is allowed."""


@dataclass(frozen=True)
class TableSpec:
    """Name, file, columns, key, date intervals and references of one canonical table."""

    name: str
    file: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    intervals: tuple[tuple[str, str], ...] = ()
    references: tuple[Reference, ...] = ()
    optional_file: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def of_kind(self, *kinds: str) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind in kinds)


def _slug(name: str) -> Column:
    return Column(name, "slug", required=True)


SOURCES = TableSpec(
    "sources", "sources.csv",
    (_slug("source_id"), Column("publisher", required=True), Column("title", required=True), Column("url", "url"),
     Column("read_url", "url", optional=True), Column("published", "date"), Column("language", required=True),
     Column("grade", "enum", values=GRADES, optional=True), Column("grade_reason", optional=True), Column("note")),
    key=("source_id",),
)
PEOPLE = TableSpec(
    "people", "people.csv",
    (_slug("person_id"), Column("name", required=True), _slug("company"),
     Column("cohort", "enum", required=True, values=COHORTS), Column("prior_affiliations"), Column("role"),
     Column("note"), Column("group", optional=True), Column("team_variants", optional=True),
     Column("observed_from", "date", optional=True)),
    key=("person_id", "company"),
)
EVIDENCE = TableSpec(
    "evidence", "evidence.csv",
    (_slug("person_id"), _slug("company"), Column("spell", "int", required=True, minimum=1),
     Column("event", "enum", required=True, values=EVENTS), Column("earliest", "date", required=True),
     Column("latest", "date", required=True), _slug("source_id"), Column("paraphrase", required=True),
     Column("note"), Column("reason", optional=True), Column("group", optional=True)),
    key=("person_id", "company", "spell", "event", "source_id"),
    intervals=(("earliest", "latest"),),
    references=(
        Reference(("source_id",), "sources", ("source_id",), "unknown source_id: add it to sources.csv"),
        Reference(("person_id", "company"), "people", ("person_id", "company"),
                  "unknown person at company {company!r}: add them to people.csv"),
    ),
)
MILESTONES = TableSpec(
    "milestones", "milestones.csv",
    (_slug("company"), _slug("milestone_id"), Column("label", required=True), Column("earliest", "date", required=True),
     Column("latest", "date", required=True), _slug("source_id"), Column("note")),
    key=("company", "milestone_id", "source_id"),
    intervals=(("earliest", "latest"),),
    references=(
        Reference(("source_id",), "sources", ("source_id",), "unknown source_id: add it to sources.csv"),
        Reference(("company",), "people", ("company",), "unknown company: no one in people.csv works there"),
    ),
)
COUNTS = TableSpec(
    "counts", "reported_counts.csv",
    (_slug("count_id"), _slug("company"), Column("measure", "enum", required=True, values=MEASURES),
     Column("start", "date", required=True), Column("end", "date", required=True), Column("value", "int", required=True),
     Column("qualifier", "enum", required=True, values=QUALIFIERS), Column("scope_note"), _slug("source_id")),
    key=("count_id",),
    intervals=(("start", "end"),),
    references=(
        Reference(("source_id",), "sources", ("source_id",), "unknown source_id: add it to sources.csv"),
        Reference(("company",), "people", ("company",), "unknown company: no one in people.csv works there"),
    ),
)
CLAIMS = TableSpec(
    "claims", "claims.csv",
    (_slug("claim_id"), _slug("source_id"), Column("claim", required=True), Column("as_of", "date", required=True),
     Column("metric"), Column("params"), Column("reported"), Column("reading", "enum", required=True, values=READINGS),
     Column("tolerance"), Column("note")),
    key=("claim_id",),
    references=(Reference(("source_id",), "sources", ("source_id",), "unknown source_id: add it to sources.csv"),),
    optional_file=True,
)

COMPANIES = TableSpec(
    "companies", "companies.csv",
    (_slug("company"), Column("name", required=True), Column("observed_until", "date"),
     Column("team_variants", optional=True), Column("aliases", optional=True), Column("note")),
    key=("company",),
    references=(Reference(("company",), "people", ("company",), "unknown company: no one in people.csv works there"),),
    optional_file=True,
)

MOVES = TableSpec(
    "moves", "moves.csv",
    (_slug("person_id"), _slug("company"), Column("spell", "int", required=True, minimum=1), Column("destination"),
     Column("destination_company", "slug"), Column("category", "enum", required=True, values=MOVE_CATEGORIES),
     Column("earliest", "date"), Column("latest", "date"), _slug("source_id"), Column("paraphrase", required=True),
     Column("note")),
    key=("person_id", "company", "spell", "source_id"),
    intervals=(("earliest", "latest"),),
    references=(
        Reference(("source_id",), "sources", ("source_id",), "unknown source_id: add it to sources.csv"),
        Reference(("person_id", "company"), "people", ("person_id", "company"),
                  "unknown person at company {company!r}: add them to people.csv"),
        Reference(("destination_company",), "people", ("company",),
                  "unknown company: leave destination_company empty unless the company is in people.csv", optional=True),
    ),
    optional_file=True,
)
CORRECTIONS = TableSpec(
    "corrections", "corrections.csv",
    (Column("edition", "date", required=True), Column("person_id", "slug"), Column("company", "slug"), Column("spell"),
     Column("event"), Column("change", "enum", required=True, values=CHANGES), Column("before"), Column("after"),
     Column("source_ids"), Column("reason", required=True)),
    key=(),
    optional_file=True,
)

BASE_RATES = TableSpec(
    "base_rates", "base_rates.csv",
    (_slug("rate_id"), _slug("source_id"), Column("study", required=True), Column("stated_as", required=True),
     Column("share", "number", required=True, maximum=1), Column("measure", "enum", required=True, values=BASE_RATE_MEASURES),
     Column("horizon_years", "number", maximum=100), Column("clock", required=True), Column("population", required=True),
     Column("sample"), Column("definition", required=True), Column("note")),
    key=("rate_id",),
    references=(Reference(("source_id",), "sources", ("source_id",), "unknown source_id: add it to sources.csv"),),
    optional_file=True,
)

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (SOURCES, PEOPLE, EVIDENCE, MILESTONES, COUNTS, CLAIMS,
                                                              COMPANIES, MOVES, CORRECTIONS, BASE_RATES)}
"""Every canonical table, in the order they are read and checked."""
