"""The mapping file of `attrition import roster`: which column of an export holds what, read and checked.

One `[roster]` table (MAPPING_KEYS), with two optional sub-tables: `[roster.reasons]` sorts the
export's reasons for leaving into categories, and `[roster.words]` gives the nouns the report uses
("judge", "court"). Every problem names the mapping file, the line and the key, and a misspelt key
or category gets the nearest valid one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from attrition.io import csvfiles
from attrition.io.config import MAX_TEXT, WORD_PATTERN
from attrition.schema import FIRST_DAY, LAST_DAY, MAX_FIELD_CHARS, REASON_CATEGORIES, DataError, Problem
from attrition.text import did_you_mean

MAPPING_KEYS = {
    "person_column": "the column identifying a person (any text: an employee number, an e-mail, a name)",
    "start_column": "the column with the day the spell started",
    "end_column": "the column with the day it ended; empty when the person is still there",
    "company": "the one company every row belongs to (use this or company_column)",
    "company_column": "the column naming each row's company (use this or company)",
    "name_column": "optional: the column with the person's display name (default: the person column)",
    "group_column": "optional: a department, role or office of each spell, to compare groups",
    "reason_column": "optional: why the spell ended (resigned, retired...); sort its values with [roster.reasons]",
    "cohort_column": "optional: founder, hire or executive per row (default: hire for everyone)",
    "observed_until_column": "optional: the last day each row's person was seen there (for people still there)",
    "observed_from_column": "optional: the first day each row was observed (late entry, per row)",
    "start_precision_column": "optional: the column giving each start date's precision (day, month, year or "
                              "fiscal_year; empty: the start_precision key)",
    "end_precision_column": "optional: the same for each end date",
    "date_format": 'how dates are written, in strptime codes (default "%Y-%m-%d")',
    "start_date_format": "optional: how the start column is written, if not as date_format (\"%Y\": a year)",
    "end_date_format": "optional: how the end column is written, if not as date_format",
    "observed_until_date_format": "optional: how the observed_until column is written, if not as date_format",
    "observed_from_date_format": "optional: how the observed_from column is written, if not as date_format",
    "precision": "day, month, year or fiscal_year: a month-precise date stands for the whole month (default day)",
    "start_precision": "optional: the precision of the start column, if not the precision key",
    "end_precision": "optional: the precision of the end column, if not the precision key",
    "fiscal_year_start": 'the month and day a fiscal year starts, "MM-DD" (needed for fiscal_year precision)',
    "fiscal_year_named_by": 'a fiscal year is named by the calendar year it "end"s in (default) or "start"s in',
    "observed_until": "the export's date: people still there are followed to it; it becomes the freeze date",
    "observed_from": "optional: the day the roster started observing (late entry): people already there are "
                     "at risk only from then",
    "source_title": "optional: the title of the export in sources.csv (default: its file name)",
    "title": "optional: the report's title (default: source_title, else the export's file name)",
    "public": "optional: true when the roster may be published with names (default false: names and per-person "
              "files are left out of the report)",
    "licence": 'optional: the data\'s licence, printed on every page (default "private, not for publication")',
    "reason_categories": "optional: categories of your own for [roster.reasons], besides the standard ones",
    "reasons": "optional table [roster.reasons]: each value of the reason column = its category",
    "words": "optional table [roster.words]: person, people, company and companies, as the report says them",
}
REQUIRED_KEYS = ("person_column", "start_column", "end_column", "observed_until")
COLUMN_KEYS = ("person_column", "start_column", "end_column", "company_column", "name_column", "group_column",
               "reason_column", "cohort_column", "observed_until_column", "observed_from_column",
               "start_precision_column", "end_precision_column")
DATE_KEYS = ("start_column", "end_column", "observed_until_column", "observed_from_column")
"""Columns that hold dates, each with its own `<name>_date_format` key."""
PRECISION_KEYS = {"start_column": "start_precision", "end_column": "end_precision"}
PRECISIONS = ("day", "month", "year", "fiscal_year")
WORDS = {"person": "employee", "people": "employees", "company": "company", "companies": "companies"}
"""The nouns of an imported roster's report, and their defaults."""
PRIVATE = "private, not for publication"
TABLE_KEYS = ("reasons", "words")


ONE_LINE = f"must be one line of text without control characters, at most {MAX_FIELD_CHARS:,} characters"


def _one_line(value: str) -> bool:
    """Text a mapping may hold: one line, no control character, not longer than any field of the data."""
    return len(value) <= MAX_FIELD_CHARS and not re.search(r"[\x00-\x1f\x7f-\x9f]", value)


def _base(key: str) -> str:
    return key.removesuffix("_column")


@dataclass(frozen=True)
class Mapping:
    """The checked [roster] section of a mapping file."""

    columns: dict[str, str]
    company: str | None
    date_formats: dict[str, str]
    """strptime codes per date column key (DATE_KEYS)."""
    precisions: dict[str, str]
    """The precision of each date column key, where no precision column says otherwise."""
    observed_until: date
    path: Path
    source_title: str | None = None
    observed_from: date | None = None
    fiscal_year_start: tuple[int, int] = (1, 1)
    fiscal_year_set: bool = False
    fiscal_year_named_by: str = "end"
    title: str = ""
    public: bool = False
    licence: str = PRIVATE
    words: dict[str, str] = field(default_factory=lambda: dict(WORDS))
    reasons: dict[str, str] | None = None
    """Each value of the reason column (as written) and its category; None: every value is its own category."""
    categories: tuple[str, ...] = ()
    """The categories reasons may fall in, in the order the report lists them."""

    @property
    def date_format(self) -> str:
        return self.date_formats["start_column"]


def _located(lines: list[str]):
    def where(key: str) -> int | None:
        pattern = rf"\s*(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*="
        return next((i for i, text in enumerate(lines, 1) if re.match(pattern, text)), None)
    return where


def _date(value: object) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        text = str(value)
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


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
    where = _located(text.splitlines())
    if not isinstance(section, dict):
        raise DataError([Problem(path.name, None, "roster", None,
                                 "needs a [roster] table (see the README for the keys and an example)")])
    say = lambda key, value, message: problems.append(Problem(path.name, where(key), key, value, message))
    for key, value in section.items():
        if key not in MAPPING_KEYS:
            say(key, None, f"unknown key{did_you_mean(key, list(MAPPING_KEYS))}; the keys are {', '.join(MAPPING_KEYS)}")
        elif key == "public":
            if not isinstance(value, bool):
                say(key, str(value), "must be true or false (without quotes)")
        elif key in TABLE_KEYS:
            if not isinstance(value, dict):
                say(key, str(value), f"must be a table: [roster.{key}] with one line per entry")
        elif key == "reason_categories":
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() and _one_line(v) for v in value):
                say(key, str(value), 'must be a list of names in quotes, e.g. ["senior status"]')
        elif not isinstance(value, (str, date)) or (isinstance(value, date) and key not in ("observed_until",
                                                                                              "observed_from")):
            say(key, str(value), "must be text in quotes")
        elif isinstance(value, str) and not _one_line(value):
            say(key, value[:200], ONE_LINE)
        elif key in ("title", "licence") and isinstance(value, str) and (len(value) > MAX_TEXT or not value.strip()):
            say(key, value[:200], f"must be text of at most {MAX_TEXT} characters (a title, a licence)")
    for key in REQUIRED_KEYS:
        if key not in section:
            say(key, None, f"missing: {MAPPING_KEYS[key]}")
    if ("company" in section) == ("company_column" in section):
        problems.append(Problem(path.name, where("company") or where("company_column"), "company", None,
                                "give exactly one of company (one company for every row) or company_column"))
    for key, what in (("company", "must name the company"), ("source_title", "must not be empty (or leave it out)")):
        if key in section and not str(section[key]).strip():
            say(key, str(section[key]), what)
    precision = str(section.get("precision", "day"))
    precisions = {}
    for key in DATE_KEYS:
        own = PRECISION_KEYS.get(key)
        chosen = str(section.get(own, precision)) if own else precision
        if chosen not in PRECISIONS:
            say(own if own and own in section else "precision", chosen,
                f"must be {', '.join(PRECISIONS[:-1])} or {PRECISIONS[-1]}{did_you_mean(chosen, PRECISIONS)}")
        precisions[key] = chosen
    default_format = str(section.get("date_format", "%Y-%m-%d"))
    formats = {}
    for key, name in (("date_format", "date_format"), *((k, f"{_base(k)}_date_format") for k in DATE_KEYS)):
        value = str(section.get(name, default_format))
        if name in section or name == "date_format":
            if "%" not in value:
                say(name, value, 'must be strptime codes, such as "%Y-%m-%d", "%d/%m/%Y" or "%Y" (a year)')
        if key != "date_format":
            formats[key] = value
    fiscal = _fiscal(section, say)
    asking = [k for k in ("precision", "start_precision", "end_precision") if section.get(k) == "fiscal_year"]
    if asking and "fiscal_year_start" not in section:
        say(asking[0], "fiscal_year", 'needs fiscal_year_start, the month and day a fiscal year starts ("07-01" for July)')
    named_by = str(section.get("fiscal_year_named_by", "end"))
    if named_by not in ("end", "start"):
        say("fiscal_year_named_by", named_by, 'must be "end" (FY2015 ends in 2015) or "start" (it starts in 2015)')
    until = _date(section.get("observed_until", ""))
    if "observed_until" in section and (until is None or not FIRST_DAY <= until <= LAST_DAY):
        say("observed_until", str(section["observed_until"]),
            f"must be an ISO date (YYYY-MM-DD) between {FIRST_DAY} and {LAST_DAY}")
    start = _date(section.get("observed_from", "")) if "observed_from" in section else None
    if "observed_from" in section and (start is None or not FIRST_DAY <= start <= (until or LAST_DAY)):
        say("observed_from", str(section["observed_from"]),
            "must be an ISO date (YYYY-MM-DD) on or before observed_until: the day the roster started observing")
    if "observed_from" in section and "observed_from_column" in section:
        say("observed_from", str(section["observed_from"]),
            "give observed_from (one day for every row) or observed_from_column (each row's own), not both")
    categories, reasons = _reasons(section, say, where, path)
    words = _words(section, say, where, path)
    if problems:
        raise DataError(problems)
    columns = {key: str(section[key]) for key in COLUMN_KEYS if key in section}
    title = str(section.get("title") or section.get("source_title") or "")
    return Mapping(columns=columns, company=section.get("company"), date_formats=formats, precisions=precisions,
                   observed_until=until, path=path, source_title=section.get("source_title"), observed_from=start,
                   fiscal_year_start=fiscal, fiscal_year_set="fiscal_year_start" in section,
                   fiscal_year_named_by=named_by, title=title, public=bool(section.get("public", False)),
                   licence=str(section.get("licence", PRIVATE)).strip() or PRIVATE, words=words, reasons=reasons,
                   categories=categories)


def _fiscal(section: dict, say) -> tuple[int, int]:
    value = str(section.get("fiscal_year_start", "01-01"))
    match = re.fullmatch(r"(\d\d)-(\d\d)", value)
    try:
        if not match:
            raise ValueError
        month, day = int(match.group(1)), int(match.group(2))
        date(2001, month, day)  # a day every year has (no 29 February)
        return month, day
    except ValueError:
        say("fiscal_year_start", value, 'must be a month and day, "MM-DD", such as "07-01" or "04-06"')
        return 1, 1


def _reasons(section: dict, say, where, path: Path) -> tuple[tuple[str, ...], dict[str, str] | None]:
    """The categories reasons may fall in (standard, then the roster's own) and the map of values to them."""
    own = [str(c).strip() for c in section.get("reason_categories", []) if isinstance(c, str)]
    categories = tuple(dict.fromkeys([*REASON_CATEGORIES[:-1], *own, REASON_CATEGORIES[-1]]))
    table = section.get("reasons")
    if not isinstance(table, dict):
        return categories, None
    if "reason_column" not in section:
        say("reasons", None, "sorts the values of a reason column: set reason_column too")
    reasons = {}
    for value, category in table.items():
        if not _one_line(value) or (isinstance(category, str) and not _one_line(category)):
            say(value[:200], str(category)[:200], ONE_LINE)
        elif not isinstance(category, str) or category not in categories:
            hint = did_you_mean(category, list(categories)) if isinstance(category, str) else ""
            say(value, str(category), f"is not a reason category{hint}; the categories are {', '.join(categories)} "
                                      "(add your own with reason_categories)")
        else:
            reasons[value.strip()] = category
    return categories, reasons


def _words(section: dict, say, where, path: Path) -> dict[str, str]:
    words = dict(WORDS)
    table = section.get("words")
    if not isinstance(table, dict):
        return words
    for key, value in table.items():
        if key not in WORDS:
            say(key, None, f"is not a word the report uses{did_you_mean(key, list(WORDS))}; it uses {', '.join(WORDS)}")
        elif not isinstance(value, str) or len(value) > 40 or not re.match(WORD_PATTERN, value.strip()):
            say(key, str(value)[:200], 'must be a noun in quotes, e.g. person = "judge" (letters, with single spaces, '
                                       "hyphens or apostrophes between words; at most 40 characters)")
        else:
            words[key] = value.strip()
    return words
