"""The embedded SQL engine (DuckDB) behind every dataset: tables in, pandas frames out.

The relational core (`attrition.core.relations`) is written once, as portable SQL over integer day numbers,
and run through this small interface, so a distributed engine can stand in for DuckDB without a
second implementation: `attrition.backends.spark` has the same methods. pandas only ever receives
query results.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotations: the command line imports ENGINES before it needs numpy or pandas
    import numpy as np
    import pandas as pd

ENGINES = ("duckdb", "spark")
"""Where the relational core can run: DuckDB, in this process (the default), or Apache Spark."""


MEMORY_LIMIT = "3GiB"
"""What DuckDB may hold in memory (unless $ATTRITION_MEMORY says otherwise); beyond it, tables and the work of
sorts, joins and aggregates spill to a temporary folder, so ten million people build in a few GiB."""

ONE_THREAD_BELOW = 16 * 1024 * 1024
"""Bytes of input under which DuckDB runs on one thread (unless $ATTRITION_THREADS says otherwise). On small
tables its threads cost more in handing work over than they save: the shipped data (0.4 MB) builds its site in
about 15 s of processor time on one thread and 21 s on two, with the same bytes out; 16 MiB of CSV is about
70,000 people, where the threads start to pay."""


class EngineUnavailable(RuntimeError):
    """The engine a command asks for cannot start here; the message says what is missing."""


class Spelling:
    """How DuckDB writes the few constructs that engines spell differently: every one is a method here, and
    `attrition.backends.spark` has Spark's, so a dialect difference lives in one place per engine (and
    tests/test_sql_dialects.py shows each engine's SQL text). Patterns are RE2 and Java regular expressions alike."""

    def literal(self, value: str) -> str:
        return literal(value)

    def matches(self, text: str, pattern: str) -> str:
        """Whether the pattern occurs anywhere in the text."""
        return f"regexp_matches({text}, {self.literal(pattern)})"

    def matches_sql(self, text: str, pattern: str) -> str:
        """Whether the pattern, an SQL expression, occurs anywhere in the text."""
        return f"regexp_matches({text}, {pattern})"

    def full_match(self, text: str, pattern: str) -> str:
        return f"regexp_full_match({text}, {self.literal(pattern)})"

    def replace_all(self, text: str, pattern: str, by: str) -> str:
        return f"regexp_replace({text}, {self.literal(pattern)}, {self.literal(by)}, 'g')"

    def first_match(self, text: str, pattern: str) -> str:
        return f"regexp_extract({text}, {self.literal(pattern)})"

    def octets(self, text: str) -> str:
        """The text's length in bytes: never less than in characters, and cheaper to count."""
        return f"strlen({text})"

    def code_point(self, text: str) -> str:
        """The number of the text's first character."""
        return f"unicode({text})"

    def day(self, text: str) -> str:
        """A day number from text the engine reads as a date (it reads more than ISO days: see `iso`)."""
        return f"CAST(TRY_CAST({text} AS DATE) - DATE '1970-01-01' AS INTEGER)"

    def iso(self, day: str) -> str:
        """A day number as YYYY-MM-DD."""
        return f"CAST(DATE '1970-01-01' + {day} AS VARCHAR)"

    def whole_number(self, text: str) -> str:
        return f"TRY_CAST({text} AS BIGINT)"

    def as_text(self, value: str) -> str:
        return f"CAST({value} AS VARCHAR)"

    def hash(self, columns: str) -> str:
        """A 64-bit hash of some columns (missing values included), to find candidate duplicates in one GROUP BY."""
        return f"hash({columns})"

    def distinct_count(self, column: str) -> str:
        """An aggregate: how many distinct values the column has in the group (cheapest next to `ordered_ids`)."""
        return f"list_unique(list({column}))"

    def ordered_ids(self, column: str) -> str:
        """An aggregate: the group's values sorted and joined with ';'."""
        return f"array_to_string(list_sort(list({column})), ';')"

    def items(self, text: str, separator: str, alias: str, name: str) -> str:
        """What follows a table in a FROM clause to split its column `text` at `separator`: one row per part, as
        column `name` of `alias`."""
        return f", LATERAL (SELECT unnest(string_split({text}, {self.literal(separator)})) AS {name}) AS {alias}"


class Engine:
    """One in-memory DuckDB database per loaded dataset, with bounded memory."""

    dialect = "duckdb"
    spelling = Spelling()

    def __init__(self, input_bytes: int | None = None) -> None:
        """`input_bytes`: how much the files this database will read weigh, if known (see ONE_THREAD_BELOW)."""
        import duckdb

        threads = os.environ.get("ATTRITION_THREADS") or (
            "1" if input_bytes is not None and input_bytes < ONE_THREAD_BELOW else None)
        spill = Path(tempfile.gettempdir()) / f"attrition-spill-{os.getpid()}-{os.urandom(4).hex()}"
        config = {"preserve_insertion_order": True, "memory_limit": os.environ.get("ATTRITION_MEMORY", MEMORY_LIMIT),
                  "temp_directory": str(spill), **({"threads": int(threads)} if threads else {})}
        self.con = duckdb.connect(":memory:", config=config)
        self._labels: set[str] = set()
        self._made: dict[str, str] = {}
        try:
            self.con.execute("SET enable_progress_bar = false")  # never draw on a command's output
        except duckdb.Error:  # in Jupyter DuckDB wants ipywidgets to change it; it draws nothing there anyway
            pass

    def prefixes(self, schema: str) -> tuple[str, str]:
        """How a query passed to `sharing` names this database's tables (`main.evidence`) and the views before it
        (`<schema>.evidence`)."""
        return "main.", f"{schema}."

    def sharing(self, schema: str, views: dict[str, str]) -> Engine:
        """Another connection to this database in which each of `views` (name: query, made in order, naming tables
        as `prefixes` says) stands in for the table of its name, and tables made later land in `schema`: a
        dataset derived from this one without copying a row."""
        other = Engine.__new__(Engine)
        other.con, other._labels, other._made = self.con.cursor(), set(), {}
        other.run(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, sql in views.items():
            other.run(f"CREATE OR REPLACE VIEW {schema}.{name} AS {sql}")
        other.run(f"USE {schema}")
        return other

    def keep_file_order(self, keep: bool) -> None:
        """Whether results without ORDER BY keep insertion order. Only reading files needs it (record
        numbers come from it); everything else orders explicitly, and without it DuckDB can use both cores."""
        self.con.execute(f"SET preserve_insertion_order = {str(keep).lower()}")

    @contextmanager
    def _in_insertion_order(self) -> Iterator[None]:
        """Within the block, results without ORDER BY keep insertion order (a sorted table is stored and read
        in its order); after it, DuckDB is free to use both cores again."""
        self.keep_file_order(True)
        try:
            yield
        finally:
            self.keep_file_order(False)

    @contextmanager
    def joins_as_written(self) -> Iterator[None]:
        """Within the block, joins run in the order the SQL writes them. The checks' queries (a count per table,
        anti-joins against a key) have one sensible order, and planning another costs more than it saves: a small
        dataset's checks take a sixth less processor time (about 30 ms a load), a million people's the same."""
        self.con.execute("SET disabled_optimizers = 'join_order'")
        try:
            yield
        finally:
            self.con.execute("SET disabled_optimizers = ''")

    def run(self, sql: str, params: list | None = None) -> None:
        """Execute a statement that returns nothing (CREATE, INSERT, COPY)."""
        self.con.execute(sql, params or [])

    def frame(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a query and return its result as a pandas frame."""
        return self.con.execute(sql, params or []).df()

    def arrays(self, sql: str, params: list | None = None) -> dict[str, np.ndarray]:
        """Run a query and return its columns as numpy arrays, with no pandas in between (a column with a missing
        number as floats, NaN where it is missing).
        Ask for no missing values where none are needed: DuckDB returns a column with one as a masked array, and
        loading numpy's masked arrays costs a small command a tenth of its time."""
        return {name: column.astype(float).filled(float("nan")) if hasattr(column, "mask") else column
                for name, column in self.con.execute(sql, params or []).fetchnumpy().items()}

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run a query and return its rows as tuples (for small results)."""
        return self.con.execute(sql, params or []).fetchall()

    def table(self, name: str, sql: str, params: list | None = None) -> str:
        """Store a query's result as a table of this database; returns the name."""
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}", params or [])
        self._made[name] = "TABLE"
        return name

    def view(self, name: str, sql: str) -> str:
        """Name a query: it runs whenever the name is read, nothing is stored."""
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        self._made[name] = "VIEW"
        return name

    def drop(self, name: str) -> None:
        """Forget a table or view made by `table` or `view` (which remember its kind: asking the catalogue takes
        longer than a small check)."""
        kind = [(self._made.pop(name),)] if name in self._made else self.rows(
            "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? UNION ALL "
            "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ?", [name, name])
        for (what,) in kind:
            self.con.execute(f"DROP {what} {name}")

    def load_integers(self, name: str, columns: dict[str, list[int]]) -> str:
        """Store columns of whole numbers (a calendar, say) as a table, with no pandas in between."""
        cells = ", ".join(f'unnest(CAST(? AS INTEGER[])) AS "{column}"' for column in columns)
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {cells}", list(columns.values()))
        return name

    def load_frame(self, name: str, frame: pd.DataFrame) -> str:
        """Copy a pandas frame into a table."""
        self.con.register("_incoming", frame)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _incoming")
        finally:
            self.con.unregister("_incoming")
        return name

    def load_parquet(self, name: str, path: Path) -> str:
        """Expose a Parquet file as a view: nothing is read until a query needs it."""
        source = str(path).replace("'", "''")
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{source}')")
        return name

    def columns(self, sql: str, params: list | None = None) -> list[tuple[str, bool]]:
        """A query's result columns: each name, and whether it holds text."""
        return [(name, kind == "VARCHAR") for name, kind, *_ in self.rows(f"DESCRIBE {sql}", params)]

    def sorted_table(self, name: str, sql: str, order: str) -> str:
        """Store a query's rows sorted by `order`, so that `in_order` reads them (or a subset) in that order
        without sorting again: a million spells take a second to sort."""
        with self._in_insertion_order():
            return self.table(name, f"{sql} ORDER BY {order}")

    def in_order(self, name: str, order: str, where: str = "") -> str:
        """The rows of a `sorted_table` (those matching `where`) in its order: DuckDB keeps a table's order
        while insertion order is preserved, as `write_csv` does."""
        return f"SELECT * FROM {name} {where}"

    def write_csv(self, sql: str, path: Path) -> None:
        """Write a query's result as one CSV file with a header (missing values as empty cells), rows in
        the query's order or, without ORDER BY, in the order of the table read (see `in_order`)."""
        target = str(path).replace("'", "''")
        with self._in_insertion_order():
            self.con.execute(f"COPY ({sql}) TO '{target}' (HEADER, DELIMITER ',')")

    def write_parquet(self, name: str, path: Path) -> None:
        """Write a table to Parquet with snappy, DuckDB's default codec (it writes a fifth faster than zstd, for
        files about twice as large), in the table's order: a table stored sorted (`sorted_table`) is read back
        in its order by later commands, to write its CSV file straight from it."""
        target = str(path).replace("'", "''")
        with self._in_insertion_order():
            self.con.execute(f"COPY (SELECT * FROM {name}) TO '{target}' (FORMAT parquet, COMPRESSION snappy)")

    def code(self, column: str, values: list[str]) -> tuple[str, list]:
        """A select expression for a text column giving each row's position in `values` (sorted), with its
        parameters: a million rows come back as whole numbers, not strings (an ENUM, made once per column)."""
        if column not in self._labels:
            self.run(f"CREATE TYPE {column}_label AS ENUM ({', '.join(literal(v) for v in values)})")
            self._labels.add(column)
        return f'enum_code(CAST("{column}" AS {column}_label)) AS "{column}"', []

    def has_table(self, name: str) -> bool:
        return bool(self.rows("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name])[0][0]
                    or self.rows("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name])[0][0])


def literal(value: str) -> str:
    """Text as an SQL string literal. DuckDB reads a doubled quote as one quote and Spark does not, so a query
    the core may run on Spark takes users' text as a parameter; DuckDB-only queries (the importer) may use this."""
    return "'" + value.replace("'", "''") + "'"
