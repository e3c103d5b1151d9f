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


# --- the published tables: what `attrition build` writes ---------------------------------------------------

STATUSES = ("departed", "uncertain", "active", "unseen")
"""A spell's status on a day: surely ended (`departed`), maybe ended (`uncertain`), surely there (`active`: a
source shows the person there on or after the day, or a later end does), or not observed since an earlier
sighting and with no end recorded (`unseen`: "last seen D, not observed since"). Still there holds only up
to the last dated sighting."""


@dataclass(frozen=True)
class Field:
    """One column of a published table: `kind` is slug, text, enum (of `values`), date, int or bool."""

    name: str
    kind: str
    meaning: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Published:
    """One table `attrition build` writes as CSV: what a row is, its columns, and the columns no two rows share."""

    file: str
    about: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


_PERSON = (Field("person_id", "slug", "the person's id, as in people.csv"),
           Field("company", "slug", "the company's id, as in companies.csv"))
_RESOLVED = (Field("earliest", "date", "the earliest day the sources allow, by the source rule (methodology page)"),
             Field("latest", "date", "the latest day the sources allow"),
             Field("conflict", "bool", "true where sources disagree: the range then spans every version"),
             Field("n_sources", "int", "how many sources give it"),
             Field("source_ids", "text", "their ids, sorted and separated by ;"))
_EVENT = Field("event", "enum", "what happened", tuple(e for e in EVENTS if e != "observed"))
_SPELL = (*_PERSON[:1], Field("name", "text", "the person's name"), _PERSON[1],
          Field("cohort", "enum", "the person's cohort (a hire is a named early hire)", COHORTS),
          Field("group", "text", "the spell's group (a team, department or party), empty if none"),
          Field("spell", "int", "1 for the first time at the company, 2 after a return, and so on"),
          Field("start_lo", "date", "the earliest day the spell can have started"),
          Field("start_hi", "date", "the latest day the spell can have started"),
          Field("joined", "enum", "whether the spell surely started by the as-of day", ("yes", "uncertain")),
          Field("end_event", "enum", "how the spell ended; empty if no end is recorded", ("", *END_EVENTS)),
          Field("end_lo", "date", "the earliest day the spell can have ended; empty if no end is recorded"),
          Field("end_hi", "date", "the latest day the spell can have ended; empty if no end is recorded"),
          Field("status", "enum", "on the as-of day (uncertain: the end straddles the day; unseen: no end is recorded "
                                  "and the person was last seen earlier)", STATUSES),
          Field("seen_until", "date", "the last day a source shows the person there: a sighting, the start, or a "
                                      "later end"),
          Field("tenure_lo_days", "int", "the shortest the spell can have lasted by the as-of day (days)"),
          Field("tenure_hi_days", "int", "the longest the spell can have lasted by the as-of day (days)"),
          Field("start_conflict", "bool", "true where the start's sources disagree"),
          Field("end_conflict", "bool", "true where the end's sources disagree"),
          Field("start_sources", "text", "ids of the start's sources, separated by ;"),
          Field("end_sources", "text", "ids of the end's sources, separated by ;"),
          Field("end_reason", "text", "why the person left, as a source gives it; empty if none does"),
          Field("company_end", "date", "the day the company stopped being observed (closure, merger); empty if "
                                       "it still is"),
          Field("as_of", "date", "the day the row describes: the freeze date, or build --as-of"))
PUBLISHED: dict[str, Published] = {p.file: p for p in (
    Published("events.csv", "one row per person, spell and event, its sources resolved into one date range",
              (*_PERSON, Field("name", "text", "the person's name"),
               Field("cohort", "enum", "the person's cohort", COHORTS),
               Field("group", "text", "the spell's group, empty if none"),
               Field("spell", "int", "which spell of the person at the company"),
               _EVENT,
               *_RESOLVED, Field("reason", "text", "a reason a source gives for the event, empty if none")),
              ("person_id", "company", "spell", "event")),
    Published("conflicts.csv", "each source's version of an event whose sources disagree",
              (*_PERSON, Field("spell", "int", "which spell"),
               _EVENT,
               Field("source_id", "slug", "the source, as in sources.csv"),
               Field("earliest", "date", "the earliest day this source allows"),
               Field("latest", "date", "the latest day this source allows"),
               Field("paraphrase", "text", "what the source says, in our words"),
               Field("resolved_earliest", "date", "the event's earliest day, all sources resolved (events.csv)"),
               Field("resolved_latest", "date", "the event's latest day, all sources resolved")),
              ("person_id", "company", "spell", "event", "source_id")),
    Published("spells.csv", "one row per person and spell that may have started by the as-of day", _SPELL,
              ("person_id", "company", "spell")),
    Published("hires.csv", "the first spells of everyone who is not a founder (rows of spells.csv)", _SPELL,
              ("person_id", "company", "spell")),
    Published("headcount_monthly.csv", "people surely and possibly at each company on the first day of each month",
              (Field("company", "slug", "the company's id"), Field("date", "date", "the first day of a month"),
               Field("lo", "int", "people surely there that day"),
               Field("hi", "int", "people possibly there that day")),
              ("company", "date")),
    Published("milestones.csv", "company milestones, their sources resolved into one date range",
              (Field("company", "slug", "the company's id"), Field("milestone_id", "slug", "the milestone's id"),
               Field("label", "text", "what happened, from the earliest-dated version"), *_RESOLVED),
              ("company", "milestone_id")),
)}
"""Every table `attrition build` writes, in the order it writes them; tests/test_published_tables.py holds each
file's header, types, values and key to it, and the README's table of them is made from it."""
