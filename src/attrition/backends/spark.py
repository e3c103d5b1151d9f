"""The relational core on Apache Spark: the same SQL, run by `spark.sql` over the cached Parquet tables.

DuckDB reads and checks a dataset once and caches its canonical tables as Parquet (`attrition.io.cache`);
this engine exposes those files as Spark views and runs `attrition.core.relations`'s queries on them unchanged,
so a cluster can stand in for one machine without a second implementation. Only aggregates and
requested slices come back, as pandas frames typed as DuckDB would type them. pyspark is imported
here only, and only when a dataset asks for Spark.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from attrition.backends.duckdb import EngineUnavailable, Spelling

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MASTER = "local[2]"
"""Where Spark runs unless $ATTRITION_SPARK_MASTER names a cluster: two local cores."""
SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # never draw on a command's output
    "spark.sql.shuffle.partitions": "4",  # the core's GROUP BYs and windows shuffle little on one machine
    "spark.sql.session.timeZone": "UTC",  # day numbers, never local time
    "spark.sql.ansi.enabled": "true",  # SQL-standard semantics, as DuckDB: errors on overflow, not wrapped values
    "spark.sql.ansi.doubleQuotedIdentifiers": "true",  # "group" is a column, as in DuckDB, not a string
    "spark.sql.parser.escapedStringLiterals": "true",  # a backslash in a string literal is a backslash, as in DuckDB
    # Results come back row by row: pyarrow would be faster for big ones, but pandas imports it whenever it is
    # installed, which would slow every command's start-up, on DuckDB too.
    "spark.sql.execution.arrow.pyspark.enabled": "false",
    "spark.driver.memory": "2g",
}


@functools.cache
def shared_session() -> SparkSession:
    """The process's one Spark session, started on first use with the JVM's own output kept in a temporary
    file (read back only if Spark fails to start), so a command prints only its result."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineUnavailable("the Spark engine needs Java 17 or later: no `java` on PATH and JAVA_HOME is not set")
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable("the Spark engine needs pyspark: run `make setup` (or pip install pyspark)") from None
    active = SparkSession.getActiveSession()
    if active is not None:  # a notebook on a cluster, or spark-submit: use its Spark as it is
        return active
    conf = SparkConf().setMaster(os.environ.get("ATTRITION_SPARK_MASTER", MASTER)).setAppName("attrition")
    conf.setAll(SETTINGS.items())
    jvm_output = tempfile.TemporaryFile()
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stdout": jvm_output, "stderr": jvm_output})
        context = SparkContext(conf=conf, gateway=gateway)
    except Exception:  # noqa: BLE001 - the JVM fails in many ways; its own last words say which
        jvm_output.seek(0)
        said = [line for line in jvm_output.read().decode(errors="replace").splitlines() if line.strip()]
        raise EngineUnavailable(f"Spark did not start: {said[-1] if said else 'the JVM exited'}") from None
    context.setLogLevel("ERROR")
    return SparkSession(context)


class SparkSpelling(Spelling):
    """The checks' engine-specific constructs in Spark SQL (Java regular expressions, which read the checks'
    patterns as RE2 does; `\\z` ends a full match, as `$` would also match before a final line break)."""

    def literal(self, value: str) -> str:
        """Text as SQL: Spark reads no escaped quote with escaped literals off (see SETTINGS), so a quote is chr(39)."""
        parts = [f"'{part}'" for part in value.split("'")]
        return parts[0] if len(parts) == 1 else f"concat({', chr(39), '.join(parts)})"

    def matches(self, text: str, pattern: str) -> str:
        return f"{text} RLIKE {self.literal(pattern)}"

    def matches_sql(self, text: str, pattern: str) -> str:
        return f"{text} RLIKE {pattern}"

    def full_match(self, text: str, pattern: str) -> str:
        return f"{text} RLIKE {self.literal('^(?:' + pattern + ')' + chr(92) + 'z')}"

    def replace_all(self, text: str, pattern: str, by: str) -> str:
        return f"regexp_replace({text}, {self.literal(pattern)}, {self.literal(by)})"

    def first_match(self, text: str, pattern: str) -> str:
        return f"regexp_extract({text}, {self.literal(pattern)}, 0)"

    def octets(self, text: str) -> str:
        return f"octet_length({text})"

    def code_point(self, text: str) -> str:
        return f"ascii({text})"

    def day(self, text: str) -> str:
        return f"datediff(try_cast({text} AS DATE), DATE'1970-01-01')"

    def iso(self, day: str) -> str:
        return f"CAST(date_add(DATE'1970-01-01', {day}) AS STRING)"

    def whole_number(self, text: str) -> str:
        return f"try_cast({text} AS BIGINT)"

    def as_text(self, value: str) -> str:
        return f"CAST({value} AS STRING)"

    def hash(self, columns: str) -> str:
        return f"xxhash64({columns})"

    def distinct_count(self, column: str) -> str:
        return f"size(collect_set({column}))"

    def ordered_ids(self, column: str) -> str:
        return f"array_join(array_sort(collect_list({column})), ';')"

    def items(self, text: str, separator: str, alias: str, name: str) -> str:
        return f" LATERAL VIEW explode(split({text}, {self.literal(separator)})) {alias} AS {name}"


class SparkEngine:
    """A Spark session's temporary views standing in for one dataset's DuckDB database."""

    dialect = "spark"
    spelling = SparkSpelling()

    def __init__(self) -> None:
        self.spark = shared_session().newSession()  # its own views: two datasets never see each other's tables
        for key, value in SETTINGS.items():
            if key.startswith("spark.sql."):
                self.spark.conf.set(key, value)
        self.parquet: dict[str, Path] = {}
        """The Parquet files behind the canonical tables, by table name (what `sharing` reads again)."""

    def prefixes(self, schema: str) -> tuple[str, str]:
        """How a query passed to `sharing` names the canonical tables (`base_evidence`) and the views before it
        (`evidence`)."""
        return "base_", ""

    def sharing(self, schema: str, views: dict[str, str]) -> SparkEngine:
        """A new session on the same Parquet files (named as `prefixes` says) in which each of `views` (name:
        query, made in order) stands in for the table of its name: as DuckDB's `sharing`, without copying a row."""
        other = SparkEngine()
        other.parquet = dict(self.parquet)
        for name, path in self.parquet.items():
            other.spark.read.parquet(str(path)).createOrReplaceTempView(f"base_{name}")
        for name, sql in views.items():
            other.run(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
        return other

    def keep_file_order(self, keep: bool) -> None:
        """Spark never reads the CSV files (DuckDB does), so record order never matters here."""

    @contextlib.contextmanager
    def joins_as_written(self) -> Iterator[None]:
        """Spark plans its joins as it will (DuckDB's engine explains why the checks ask)."""
        yield

    def _query(self, sql: str, params: list | None = None):
        return self.spark.sql(sql, args=params or None)

    def run(self, sql: str, params: list | None = None) -> None:
        self._query(sql, params).collect()

    def frame(self, sql: str, params: list | None = None) -> pd.DataFrame:
        result = self._query(sql, params)
        return _as_duckdb_types(result.toPandas(), result.schema)

    def arrays(self, sql: str, params: list | None = None) -> dict:
        """The query's columns as numpy arrays, by way of its frame (a missing number as NaN)."""
        return {name: _as_numbers(column) for name, column in self.frame(sql, params).items()}

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return [tuple(row) for row in self._query(sql, params).collect()]

    def table(self, name: str, sql: str, params: list | None = None) -> str:
        """A query's result computed now and kept by the executors under a view name, like a DuckDB table: later
        queries read the rows, not the query that made them (a local checkpoint cuts the lineage)."""
        self._query(sql, params).localCheckpoint(eager=True).createOrReplaceTempView(name)
        return name

    def view(self, name: str, sql: str) -> str:
        self._query(sql).createOrReplaceTempView(name)
        return name

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def sorted_table(self, name: str, sql: str, order: str) -> str:
        return self.table(name, f"{sql} ORDER BY {order}")

    def in_order(self, name: str, order: str, where: str = "") -> str:
        """Spark keeps no table order: the rows are sorted again."""
        return f"SELECT * FROM {name} {where} ORDER BY {order}"

    def columns(self, sql: str, params: list | None = None) -> list[tuple[str, bool]]:
        from pyspark.sql.types import StringType

        return [(field.name, isinstance(field.dataType, StringType)) for field in self._query(sql, params).schema.fields]

    def write_csv(self, sql: str, path: Path) -> None:
        """One CSV file, written as DuckDB's COPY writes it (one task writes the ordered rows in turn)."""
        staging = path.with_name(f".{path.name}.parts")
        (self._query(sql).coalesce(1).write.mode("overwrite")
         .options(header=True, sep=",", quote='"', escape='"', nullValue="", emptyValue='""', lineSep="\n",
                  dateFormat="yyyy-MM-dd", ignoreLeadingWhiteSpace=False, ignoreTrailingWhiteSpace=False)
         .csv(str(staging)))
        (part,) = staging.glob("part-*")
        part.replace(path)
        shutil.rmtree(staging)

    def load_integers(self, name: str, columns: dict[str, list[int]]) -> str:
        schema = ", ".join(f"`{column}` INT" for column in columns)
        self.spark.createDataFrame(list(zip(*columns.values())), schema).createOrReplaceTempView(name)
        return name

    def load_frame(self, name: str, frame: pd.DataFrame) -> str:
        self.spark.createDataFrame(frame).createOrReplaceTempView(name)
        return name

    def load_parquet(self, name: str, path: Path) -> str:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        self.parquet[name] = path
        return name

    def has_table(self, name: str) -> bool:
        return self.spark.catalog.tableExists(name)

    def code(self, column: str, values: list[str]) -> tuple[str, list]:
        """Each row's position in `values` (sorted) and its parameters: Spark has no ENUM."""
        return f'array_position(array({", ".join("?" * len(values))}), "{column}") - 1 AS "{column}"', list(values)


def _as_numbers(column: pd.Series):
    """A frame's column as a plain numpy array: pandas' nullable numbers as their numpy type, or as floats with
    NaN where one is missing."""
    if column.isna().any():
        return column.to_numpy(dtype=float)
    return column.to_numpy(dtype=getattr(column.dtype, "numpy_dtype", None))


def _as_duckdb_types(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """Integer and boolean columns with missing values as pandas' nullable types, as DuckDB returns them
    (Spark's own conversion makes them float and object)."""
    from pyspark.sql import types

    nullable = {types.IntegerType: "Int32", types.LongType: "Int64", types.ShortType: "Int16", types.ByteType: "Int8",
                types.BooleanType: "boolean"}
    for field in schema.fields:
        kind = nullable.get(type(field.dataType))
        if kind is not None and frame[field.name].isna().any():
            frame[field.name] = frame[field.name].astype(kind)
    return frame
