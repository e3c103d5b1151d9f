"""dataset.toml read and checked whole, so that a bad setting is a located error before anything runs.

Every value the commands use is checked here for its kind and, where it reaches a page, a file name
or a link, for what it may hold: words the report writes are plain words, names that become folders
and files are slugs, files an example names stay inside the data folder, the site's address is an
http(s) URL. Each problem names the file, the line and the key (`report.examples[1].name`), so no
setting can stop a later command half-way or write outside its folder.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from pathlib import Path

from attrition.backends.duckdb import ENGINES
from attrition.io import csvfiles
from attrition.schema import FIRST_DAY, LAST_DAY, SLUG_PATTERN, Problem

CONFIG_FILE = "dataset.toml"
WORDING_KEYS = ("founder", "hire", "executive", "people", "person", "company", "companies")
"""The nouns the standard report can be given in [wording] (see attrition.measures.overview.words): plural for
each cohort, for everyone and for companies, singular for one person and one company."""
WORD_PATTERN = r"^[^\W\d_]+(?:[ '-][^\W\d_]+)*$"
"""A noun as the report writes it: letters, single spaces, hyphens or apostrophes between them."""
EXAMPLE_KEYS = {"name": "slug", "title": "text", "intro": "text", "export": "file", "mapping": "file",
                "companies": "slugs"}
EXAMPLE_REQUIRED = ("name", "title", "export", "mapping", "companies")
MAX_TEXT = 1000
"""Longer settings are refused: a title or an introduction is a sentence or two."""
STORY_NEEDS = {
    "people": ("company", "xai"),
    "person": ("person_id", "tony-wu", "elon-musk"),
    "claims": ("claim_id", "c0-2", "c0-3b", "c0-4b", "c1-2", "c1-2b", "c0-liu-grok-1-5v", "c0-zhuang-grok-1-5",
               "byteiota-2026-03-two-of-eleven", "byteiota-2026-03-two-of-twelve"),
    "milestones": ("milestone_id", "grok-1-announced", "grok-1-5", "grok-1-5v", "grok-2", "grok-3", "grok-4",
                   "colossus-online", "spacex-merger-announced"),
    "sources": ("source_id", "fortune-2025-06-03-signalfire"),
}
"""What the story notebooks name (table: column, ids): a story dataset without them cannot be told, so
`validate` and `report` refuse it (a test holds this list to the notebooks' own code)."""


def read_config(data_dir: Path, problems: list[Problem]) -> tuple[dict, date | None]:
    """dataset.toml's settings, checked (see `config_problems`), and its freeze date (None if unusable)."""
    raw = csvfiles.read_bytes(data_dir / CONFIG_FILE, CONFIG_FILE, problems)
    if raw is None:
        return {}, None
    try:
        text = raw.decode("utf-8-sig")
        config = tomllib.loads(text)
    except UnicodeDecodeError:
        problems.append(Problem(CONFIG_FILE, None, None, None, "not valid UTF-8; save the file as UTF-8"))
        return {}, None
    except tomllib.TOMLDecodeError as err:
        line = re.search(r"at line (\d+)", str(err))
        problems.append(Problem(CONFIG_FILE, int(line.group(1)) if line else None, None, None, f"is not valid TOML: {err}"))
        return {}, None
    problems += config_problems(config, text.splitlines(), data_dir)
    dataset = config.get("dataset")
    freeze = as_date(dataset.get("freeze_date")) if isinstance(dataset, dict) else None
    return config, freeze if freeze is not None and FIRST_DAY <= freeze <= LAST_DAY else None


def config_problems(config: dict, lines: list[str], data_dir: Path) -> list[Problem]:
    """Every setting that is the wrong kind or holds what it may not; normalises dates to `date` in place."""
    problems: list[Problem] = []

    def report(path: tuple, value: object, message: str) -> None:
        key = ".".join(f"{p}" if isinstance(p, str) else f"[{p + 1}]" for p in path).replace(".[", "[")
        key = {"dataset.freeze_date": "freeze_date", "engine.name": "engine"}.get(key, key)
        shown = None if value is None else str(value)[:200]
        problems.append(Problem(CONFIG_FILE, locate(lines, path), key, shown, message))

    def table(name: str, required: bool = False) -> dict:
        value = config.get(name, {} if not required else None)
        if not isinstance(value, dict):
            report((name,), value if value is not None else None,
                   f"needs a [{name}] table" + (' with freeze_date = "YYYY-MM-DD"' if name == "dataset" else ""))
            return {}
        return value

    dataset = table("dataset", required=True)
    if "dataset" in config and isinstance(config["dataset"], dict):
        freeze = as_date(dataset.get("freeze_date"))
        if freeze is None or not FIRST_DAY <= freeze <= LAST_DAY:
            report(("dataset", "freeze_date"), dataset.get("freeze_date", ""),
                   f"[dataset] freeze_date must be an ISO date (YYYY-MM-DD) between {FIRST_DAY} and {LAST_DAY}")
        else:
            dataset["freeze_date"] = freeze
        for key in ("imported_from", "mapping"):
            if key in dataset and not isinstance(dataset[key], str):
                report(("dataset", key), dataset[key], "must be text in quotes")
    engine = config.get("engine", {})
    if not isinstance(engine, dict) or engine.get("name", ENGINES[0]) not in ENGINES:
        report(("engine",) if not isinstance(engine, dict) else ("engine", "name"),
               engine.get("name") if isinstance(engine, dict) else engine,
               f'the engine must be an [engine] table with name = one of: {", ".join(ENGINES)}')
    for key, value in table("wording").items():
        if key not in WORDING_KEYS:
            report(("wording", key), None, f"unknown key; the report's words are: {', '.join(WORDING_KEYS)}")
        elif not isinstance(value, str) or len(value) > 40 or not re.match(WORD_PATTERN, value):
            report(("wording", key), value, "must be a noun in quotes (letters, with single spaces, hyphens "
                                            "or apostrophes between words; at most 40 characters)")
    _report_problems(table("report"), data_dir, report)
    reasons = table("reasons")
    if "categories" in reasons and not (isinstance(reasons["categories"], list)
                                        and all(_text(c) and c.strip() for c in reasons["categories"])):
        report(("reasons", "categories"), reasons["categories"], "must be a list of reason categories in quotes")
    if "sorted" in reasons and not isinstance(reasons["sorted"], bool):
        report(("reasons", "sorted"), reasons["sorted"], "must be true or false")
    return problems


def _report_problems(section: dict, data_dir: Path, report) -> None:
    checks = {
        "story": (lambda v: isinstance(v, bool), "must be true or false"),
        "answer_page": (lambda v: isinstance(v, str) and re.match(r"^[A-Za-z0-9_-]+\.html$", v),
                        "must be the file name of a page of the site, e.g. \"02_founder_survival.html\""),
        "headline_claims": (lambda v: isinstance(v, list) and all(_slug(c) for c in v),
                            "must be a list of claim ids in quotes, e.g. [\"c1-2\", \"c0-3b\"]"),
        "founder_claims_since": (lambda v: as_date(v) is not None, "must be an ISO date (YYYY-MM-DD)"),
        "site_url": (lambda v: v == "" or (isinstance(v, str) and re.match(r"^https?://[^\s\"'<>\\]+$", v)),
                     "must be empty or the site's address starting with https:// or http://"),
        "title": (lambda v: _text(v) and v.strip(), f"must be text in quotes, without control characters, at most "
                                                     f"{MAX_TEXT} characters"),
        "public": (lambda v: isinstance(v, bool), "must be true or false: whether the report may name people"),
        "licence": (lambda v: _text(v) and v.strip(), f"must be text in quotes, without control characters, at most "
                                                       f"{MAX_TEXT} characters"),
    }
    for key, (ok, message) in checks.items():
        if key in section and not ok(section[key]):
            report(("report", key), section[key], message)
    if "founder_claims_since" in section and as_date(section["founder_claims_since"]) is not None:
        section["founder_claims_since"] = as_date(section["founder_claims_since"]).isoformat()
    examples = section.get("examples", [])
    if not isinstance(examples, list) or not all(isinstance(e, dict) for e in examples):
        report(("report", "examples"), None, "must be [[report.examples]] tables (see data/dataset.toml)")
        return
    names = [e.get("name") for e in examples]
    for i, example in enumerate(examples):
        for key in EXAMPLE_REQUIRED:
            if key not in example:
                report(("report", "examples", i), None, f"each [[report.examples]] needs {key}")
        for key, value in example.items():
            kind = EXAMPLE_KEYS.get(key)
            where = ("report", "examples", i, key)
            if kind is None:
                report(where, None, f"unknown key; an example has: {', '.join(EXAMPLE_KEYS)}")
            elif kind == "slug" and not _slug(value):
                report(where, value, "must be a slug (lower-case letters, digits and single hyphens): it names the "
                                     "example's folder and pages")
            elif kind == "slug" and names.count(value) > 1:
                report(where, value, "two examples have this name; each needs its own")
            elif kind == "slugs" and not (isinstance(value, list) and value and all(_slug(c) for c in value)):
                report(where, value, "must be a list of company ids (slugs) in quotes")
            elif kind == "text" and not _text(value):
                report(where, value, f"must be text in quotes, without control characters, at most {MAX_TEXT} "
                                     "characters")
            elif kind == "file":
                message = _file_problem(value, data_dir)
                if message:
                    report(where, value, message)


def _file_problem(value: object, data_dir: Path) -> str | None:
    """Why a file an example names cannot be read from inside the data folder, if it cannot."""
    if not isinstance(value, str) or not value or "\x00" in value:
        return "must be a file's path in quotes, relative to the data folder"
    path = data_dir / value
    inside = data_dir.resolve()
    if Path(value).is_absolute() or inside not in path.resolve().parents:
        return "must name a file inside the data folder (a relative path, no '..' out of it, no link out of it)"
    return None


def as_date(value: object) -> date | None:
    """An ISO date written in quotes or as a TOML date (not a date-time), else None."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _slug(value: object) -> bool:
    return isinstance(value, str) and re.match(SLUG_PATTERN, value) is not None


def _text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT and not re.search(r"[\x00-\x1f\x7f-\x9f]", value)


def locate(lines: list[str], path: tuple) -> int | None:
    """The line of a setting: `path` is its table names, an example's index and its key. Falls back to its
    table's header, then to the first line that names it, when the file spells it otherwise."""
    names = [p for p in path if isinstance(p, str)]
    index = next((p for p in path if isinstance(p, int)), None)
    key = names[-1] if isinstance(path[-1], str) else None
    table = ".".join(names[:-1] if key else names)
    current, count, header = "", -1, None
    for number, line in enumerate(lines, 1):
        match = re.match(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]", line)
        if match:
            current = match.group(2).replace(" ", "")
            if current == table:
                count += match.group(1) == "[["
                header = header or (number if index is None or count == index else None)
            elif key is not None and current == ".".join(filter(None, (table, key))):
                return number
        elif key is not None and current == table and (index is None or count == index) and \
                re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number
    name = re.escape(names[-1])
    return header or next((n for n, line in enumerate(lines, 1) if re.match(rf"^\s*(\[+\s*)?{name}\b", line)), None)


def report_problems(engine, config: dict, data_dir: Path) -> list[Problem]:
    """What would stop `report` that only `validate` and `report` look for: an example's file that is missing,
    and for a story dataset ([report] story = true) the ids the story notebooks name that the data lacks (a
    renamed company or person would otherwise stop `report` at a notebook cell)."""
    try:
        lines = (data_dir / CONFIG_FILE).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    report = config.get("report", {})
    problems = [Problem(CONFIG_FILE, locate(lines, ("report", "examples", i, key)), f"report.examples[{i + 1}].{key}",
                        example[key], "no such file in the data folder")
                for i, example in enumerate(report.get("examples", [])) for key in ("export", "mapping")
                if not (data_dir / example[key]).is_file()]
    if not report.get("story"):
        return problems
    files = {"people": "people.csv", "person": "people.csv", "claims": "claims.csv", "milestones": "milestones.csv",
             "sources": "sources.csv"}
    for table, (column, *ids) in STORY_NEEDS.items():
        name = "people" if table == "person" else table
        present = {value for (value,) in engine.rows(f'SELECT DISTINCT "{column}" FROM {name}')}
        problems += [Problem(CONFIG_FILE, locate(lines, ("report", "story")), "report.story", "true",
                             f"the story notebooks need {column} {i!r} in {files[table]}, which has none (renamed or "
                             "removed?); set story = false for a dataset the story is not about")
                     for i in ids if i not in present]
    return problems
