"""Load a dataset folder and check it, reporting every problem with file, line and column.

The raw files are only ever read. Loading either returns a complete, checked `Dataset` or raises
`DataError` listing all problems found, so no later step works on half-checked data. The tables
live in the dataset's engine (DuckDB, which reads and checks them; `attrition.core.engines.on_engine` can
hand them to Spark); pandas views of them are made on first use, and pandas is imported only then,
so the commands that never ask for one (validate, build) do not pay for loading it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from attrition import progress
from attrition.backends.duckdb import ENGINES, Engine
from attrition.io import cache, checks, csvfiles, vintage
from attrition.io.config import read_config
from attrition.locations import DEFAULT_DATA_DIR, KNOWN_AS_OF
from attrition.result import MetricError
from attrition.schema import FIRST_DAY, LAST_DAY, TABLES, DataError, Problem, TableSpec, day_number

if TYPE_CHECKING:
    import pandas as pd

@dataclass(eq=False)
class Dataset:
    """The checked canonical tables of one dataset, in its own engine, and its freeze date.

    Compared and hashed by identity, so derived tables can be cached per loaded dataset.
    """

    data_dir: Path
    freeze_date: date
    engine: Engine  # or an attrition.spark_engine.SparkEngine, which has the same methods
    config: dict
    fingerprint: str
    derived: dict = field(default_factory=dict, repr=False)
    """Derived tables already computed in the engine, by name (see attrition.tables), and pandas slices of them."""
    known_as_of: date | None = None
    """Set on the data as it was known on a day (`known_as_of`): only sources published by then count."""
    left_out: dict[str, int] = field(default_factory=dict)
    """For data as known on a day: what it leaves out, counted (attrition.io.vintage.summary)."""
    sources_rule: str = ""
    """For data restricted to some sources (`known_as_of`, `without_sources`): the condition on sources.csv's rows."""
    origin: Dataset | None = field(default=None, repr=False)
    """For restricted data: the dataset it was made from, whose tables its views read."""

    def as_known_on(self, day: date | str) -> Dataset:
        """This data as it was known on `day`: only what sources published by then say (see `known_as_of`)."""
        return known_as_of(self, day)

    def frame(self, table: str) -> pd.DataFrame:
        """A canonical table as pandas, in file order, dates as Timestamps (made once, then reused)."""
        if table not in self._frames:
            spec = TABLES[table]
            frame = self.engine.frame(f"SELECT * FROM {table} ORDER BY rec")
            for column in spec.of_kind("date"):
                frame[column.name] = days_to_timestamps(frame[column.name])
            for column in spec.of_kind("int"):
                frame[column.name] = frame[column.name].astype("Int64")
            self._frames[table] = frame
        return self._frames[table]

    @cached_property
    def _frames(self) -> dict[str, pd.DataFrame]:
        return {}

    sources = property(lambda self: self.frame("sources"))
    people = property(lambda self: self.frame("people"))
    evidence = property(lambda self: self.frame("evidence"))
    milestones = property(lambda self: self.frame("milestones"))
    counts = property(lambda self: self.frame("counts"))
    claims = property(lambda self: self.frame("claims"))

    def count(self, table: str) -> int:
        """Rows in a canonical table, counted by the engine."""
        return int(self.engine.rows(f"SELECT count(*) FROM {TABLES[table].name}")[0][0])

    @cached_property
    def companies(self) -> list[str]:
        return [c for (c,) in self.engine.rows("SELECT DISTINCT company FROM people ORDER BY company")]

    @cached_property
    def company_names(self) -> dict[str, str]:
        """Display name of every company ("Safe Superintelligence", not `ssi`): companies.csv, else the id."""
        named = dict(self.engine.rows("SELECT company, name FROM companies WHERE name IS NOT NULL AND name <> ''"))
        return {c: named.get(c, c) for c in self.companies}

    def lines(self, table: str, recs: list[int]) -> list[int | None]:
        """The physical lines of some records of a table's file, for messages."""
        path = self.data_dir / TABLES[table].file
        try:
            lines = csvfiles.record_lines(path)
        except (OSError, csvfiles.MalformedCSV):
            return [None for _ in recs]
        return [int(lines[r]) if 0 <= r < len(lines) else None for r in recs]


def days_to_timestamps(days: pd.Series) -> pd.Series:
    """Integer day numbers (days since 1970-01-01) as Timestamps; missing stays missing (NaT)."""
    import numpy as np
    import pandas as pd

    values = days.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    stamps = np.where(missing, 0, values).astype("int64").astype("datetime64[D]").astype("datetime64[ns]")
    stamps[missing] = np.datetime64("NaT")
    return pd.Series(stamps, index=days.index, name=days.name)


def configured_engine(config: dict) -> str:
    """The engine dataset.toml's [engine] table names for the relational core (DuckDB unless it says otherwise)."""
    engine = config.get("engine", {})
    return engine.get("name", ENGINES[0]) if isinstance(engine, dict) else ENGINES[0]


def _read_table(engine: Engine, spec: TableSpec, data_dir: Path, problems: list[Problem], freeze: date | None) -> bool:
    path = data_dir / spec.file
    if spec.optional_file and not path.exists():
        none = ", ".join(f'CAST(NULL AS VARCHAR) AS "{c}"' for c in spec.column_names)
        checks.typed_table(engine, spec, f"(SELECT {none} WHERE false) AS records", freeze, numbered=False)
        return True
    text = csvfiles.read_prefix(path, spec.file, problems)
    names = None if text is None else csvfiles.header(text, spec, problems)
    return names is not None and csvfiles.load_table(engine, spec, path, names, problems, freeze)


def _located(ds_dir: Path, findings: list[checks.Finding]) -> list[Problem]:
    """Attach physical line numbers to findings (one strict pass per file that has any)."""
    problems = []
    by_table: dict[str, list[checks.Finding]] = {}
    for f in findings:
        by_table.setdefault(f.table, []).append(f)
    for table, found in by_table.items():
        spec = TABLES[table]
        try:
            lines = csvfiles.record_lines(ds_dir / spec.file)
        except (OSError, csvfiles.MalformedCSV):
            lines = None
        line = (lambda rec: int(lines[rec]) if lines is not None and 0 <= rec < len(lines) else None)
        for f in found:
            message = f.message if f.first_rec is None else f"{f.message}; first given on line {line(f.first_rec)}"
            problems.append(Problem(spec.file, line(f.rec), f.column, f.value, message))
    return problems


def check_folder(data_dir: Path, fingerprint: str | None = None) -> Dataset:
    """Read every file of a curated dataset folder into a new engine and check it; raise DataError if any fails."""
    problems: list[Problem] = []
    if not data_dir.is_dir():
        raise DataError([Problem(str(data_dir), None, None, None, "data directory not found (or not a folder)")])
    fingerprint = fingerprint or cache.fingerprint(data_dir)
    config, freeze = read_config(data_dir, problems)
    engine = Engine(input_bytes=cache.input_bytes(data_dir))
    with progress.steps(len(TABLES) + 1, f"reading {data_dir.name}", "step") as bar:
        readable = []
        for spec in TABLES.values():
            bar.next(f"reading {spec.file}")
            if _read_table(engine, spec, data_dir, problems, freeze):
                readable.append(spec)
        engine.keep_file_order(False)
        bar.next("checking cells, references and spells")
        findings = checks.check_tables(engine, readable, freeze, numbered=False)
    problems += _located(data_dir, findings)
    if problems or freeze is None:
        order = {spec.file: i for i, spec in enumerate(TABLES.values())}
        problems.sort(key=lambda p: (order.get(p.file, -1), p.line or 0))
        raise DataError(problems)
    return Dataset(data_dir=data_dir, freeze_date=freeze, engine=engine, config=config,
                   fingerprint=fingerprint, derived={"event_groups": "event_groups"})


LINE = "line"
"""The column of a table kept as Parquet that says where each record stands in the file it came from."""


def parquet_file(spec: TableSpec) -> str:
    """The name of a table kept as Parquet: its CSV file's, ending in .parquet (evidence.parquet)."""
    return Path(spec.file).with_suffix(".parquet").name


def check_parquet(data_dir: Path, engine) -> Dataset:
    """The dataset kept as Parquet in `data_dir`, checked in `engine` (Spark: on the cluster that holds it) by the
    same checks as the CSV files; raise DataError if any fails.

    Each table is a file named like its CSV file, ending in .parquet (`parquet_file`), with the CSV file's
    columns as text and `line`, where each record stands in the file it came from: problems are located by
    it, as they are by the lines of a CSV file. Nothing is cached: the engine that holds the data keeps it.
    """
    problems: list[Problem] = []
    if not data_dir.is_dir():
        raise DataError([Problem(str(data_dir), None, None, None, "data directory not found (or not a folder)")])
    config, freeze = read_config(data_dir, problems)
    readable = []
    for spec in TABLES.values():
        path, name = data_dir / parquet_file(spec), parquet_file(spec)
        if not path.exists():
            if not spec.optional_file:
                problems.append(Problem(name, None, None, None, f"file not found in {data_dir}"))
                continue
            cells = ", ".join(f'CAST(NULL AS STRING) AS "{c}"' for c in spec.column_names)
            source = f"(SELECT CAST(NULL AS BIGINT) AS rec, {cells} WHERE false) AS records"
        else:
            table = engine.load_parquet(f"{spec.name}_source", path)
            names = {column for column, _ in engine.columns(f"SELECT * FROM {table}")}
            missing = [c.name for c in spec.columns if c.name not in names and not c.optional]
            problems += [Problem(name, None, column, None, "required column is missing") for column in
                         (missing + ([LINE] if LINE not in names else []))]
            if missing or LINE not in names:
                continue
            cells = ", ".join(f'CAST("{c}" AS STRING) AS "{c}"' if c in names else f'CAST(NULL AS STRING) AS "{c}"'
                              for c in spec.column_names)
            source = f"(SELECT CAST({LINE} AS BIGINT) AS rec, {cells} FROM {spec.name}_source) AS records"
        checks.typed_table(engine, spec, source, freeze, numbered=True)
        readable.append(spec)
    for f in checks.check_tables(engine, readable, freeze, numbered=True):
        message = f.message if f.first_rec is None else f"{f.message}; first given on line {f.first_rec}"
        problems.append(Problem(TABLES[f.table].file, f.rec, f.column, f.value, message))
    if problems or freeze is None:
        order = {spec.file: i for i, spec in enumerate(TABLES.values())}
        problems.sort(key=lambda p: (order.get(p.file, -1), p.line or 0))
        raise DataError(problems)
    return Dataset(data_dir=data_dir, freeze_date=freeze, engine=engine, config=config, fingerprint="",
                   derived={"event_groups": "event_groups"})


def load(data_dir: Path | str | None = None, known_as_of: date | str | None = None) -> Dataset:
    """The checked dataset in `data_dir` (default: the repository's data/), from the cache when it is current;
    with `known_as_of` (default: $ATTRITION_KNOWN_AS_OF, which the report sets for its notebooks), as it was
    known on that day (see `known_as_of`)."""
    known_as_of = known_as_of if known_as_of is not None else KNOWN_AS_OF
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    engine, meta, fp = cache.open_cached(data_dir)
    ds = None
    if engine is not None:
        problems: list[Problem] = []
        config, freeze = read_config(data_dir, problems)
        if not problems:  # dataset.toml is in the key, but the files its examples name are not
            ds = Dataset(data_dir=data_dir, freeze_date=freeze, engine=engine, config=config, fingerprint=fp,
                         derived={name: name for name in meta["derived"]})
    ds = ds or check_folder(data_dir, fp)
    return ds if known_as_of is None else ds.as_known_on(known_as_of)


def known_as_of(ds: Dataset, day: date | str) -> Dataset:
    """The dataset as it was known on `day`: only evidence, milestones, counts, moves and base rates from sources
    published on or before it; a source without a publication date is left out, and counted (`left_out`).
    Its freeze date (the default as-of day) is `day` when that is earlier. The rules are attrition.io.vintage's;
    nothing is copied (the tables are views of this dataset's), and the same day gives the same object again.
    """
    from attrition.days import calendar_date

    try:
        wanted = calendar_date(day)
    except (ValueError, TypeError, OverflowError):
        raise MetricError(f"known-as-of date {day!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= wanted <= LAST_DAY:
        raise MetricError(f"known-as-of date {wanted} is outside the supported range {FIRST_DAY} to {LAST_DAY}")
    if ds.known_as_of is not None:
        wanted = min(wanted, ds.known_as_of)
    return _restricted(ds, f"published <= {day_number(wanted)}", wanted)


def without_sources(ds: Dataset, source_ids: list[str]) -> Dataset:
    """The dataset without what some sources say (by the rules of `known_as_of`): the sources a verdict rests on are
    found by leaving each out in turn (attrition.claims.flips)."""
    from attrition.backends.duckdb import literal

    ids = sorted(set(source_ids))  # slugs: checked to hold only letters, digits and hyphens
    return _restricted(ds, f"source_id NOT IN ({', '.join(map(literal, ids))})" if ids else "true", ds.known_as_of)


def _restricted(ds: Dataset, condition: str, known: date | None) -> Dataset:
    """The dataset with only the sources meeting `condition` (and those `ds` itself keeps) counting, made once per
    dataset it comes from and kept there."""
    origin = ds.origin or ds
    rule = f"({ds.sources_rule}) AND ({condition})" if ds.sources_rule else condition
    freeze = ds.freeze_date if known is None else min(ds.freeze_date, known)
    key = ("restricted", rule, freeze)
    if key not in origin.derived:
        name = f"known_{sum(k[0] == 'restricted' for k in origin.derived if isinstance(k, tuple))}"
        day = day_number(freeze)
        base, views = origin.engine.prefixes(name)
        engine = origin.engine.sharing(name, vintage.views(rule, day, base, views))
        engine.keep_file_order(False)
        fingerprint = hashlib.sha256(f"{origin.fingerprint}|sources where|{rule}|{freeze}".encode()).hexdigest()
        left_out = {} if known is None else vintage.summary(engine.rows(vintage.left_out(day, base, views))[0])
        origin.derived[key] = Dataset(data_dir=ds.data_dir, freeze_date=freeze, engine=engine, config=ds.config,
                                      fingerprint=fingerprint, known_as_of=known, left_out=left_out,
                                      sources_rule=rule, origin=origin)
    return origin.derived[key]


def store_in_cache(ds: Dataset, derived: list[str]) -> Path:
    """Keep the checked tables and `derived` ones as Parquet, so the next command skips reading and checking;
    an entry kept already (`attrition validate` keeps the checked tables and the events) gains the derived
    tables it lacks. Data as known on a day is kept under its own key, and never answers for the folder's files."""
    return cache.store(ds.engine, ds.data_dir, ds.fingerprint, {"freeze_date": ds.freeze_date.isoformat(),
                                                                "derived": derived},
                       [*TABLES, *derived], remember=not ds.sources_rule)
