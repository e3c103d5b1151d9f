"""Spark runs the relational core to exactly DuckDB's results: tables, life tables, metrics, the ledger, files.

Spark runs in local mode (two cores), once per test process; each dataset gets its own Spark
session. Skipped, with the reason, where Java or pyspark is missing; `.ci/run` installs Java.
Every test here is marked slow: Spark's JVM alone takes seconds of both cores, so `make test` starts none.
Its fast siblings need no Java: tests/test_sql_dialects.py keeps the text of the SQL each engine is given, the
checks' included, and tests/test_config.py holds `[engine]` in dataset.toml to handing the core, fed from the
cache, to a stand-in for Spark. `make test-all` runs these: the life tables of a synthetic roster at 2,000
people (returns, days and months mixed) and at a million spells, `[engine]` in dataset.toml, the equality on the
shipped data (every table of the core, life tables, metrics, the ledger: one claim of each metric as known then
and now, and the whole), the checks refusing the same bad rows on both engines (17 s of Spark planning its wide
CASE queries), and the command line's `validate` and `build` on Spark.
"""

from __future__ import annotations

import csv
import filecmp
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (make setup installs it): Spark is not tested")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime (.ci/run installs one): Spark is not tested", allow_module_level=True)

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from conftest import FILES, write_dataset  # noqa: E402

from attrition.backends.spark import SparkEngine  # noqa: E402
from attrition.claims.ledger import evaluate  # noqa: E402
from attrition.cli import main  # noqa: E402
from attrition.core import engines, life, roster, tables  # noqa: E402
from attrition.core.scope import Scope  # noqa: E402
from attrition.dev.synthetic import write_synthetic  # noqa: E402
from attrition.io import csvfiles  # noqa: E402
from attrition.io.dataset import LINE, check_parquet, load, parquet_file  # noqa: E402
from attrition.locations import DEFAULT_DATA_DIR  # noqa: E402
from attrition.measures.registry import compute  # noqa: E402
from attrition.schema import TABLES, DataError  # noqa: E402


def _both(data_dir: Path) -> tuple:
    duck = load(data_dir)
    return duck, engines.on_engine(duck, "spark")


@pytest.fixture(scope="module")
def shipped() -> tuple:
    return _both(DEFAULT_DATA_DIR)


SYNTHETIC = [pytest.param((2_000, 2_000), id="2,000 people"),
             pytest.param((995_000, 1_000_000), id="a million spells", marks=pytest.mark.slow)]
"""(people, spells at least) of each synthetic roster: the small one in `make test`, the million in `make test-all`."""


@pytest.fixture(scope="module", params=SYNTHETIC)
def synthetic(request, tmp_path_factory) -> tuple:
    """A synthetic roster at 20 companies, days and months mixed, with returns (attrition.dev.synthetic): its
    DuckDB and Spark datasets and the spells it holds at least."""
    people, spells = request.param
    folder = write_synthetic(tmp_path_factory.mktemp("synthetic") / "data", people, 20, "mixed", seed=15)
    return *_both(folder), spells


@pytest.fixture(scope="module")
def one_claim_per_metric(tmp_path_factory) -> tuple:
    """The shipped data with one claim of each metric (and of none, a claim not evaluated) in claims.csv, chosen
    from the days most claims were written on: each such day is a dataset as known then, which Spark reads anew."""
    folder = Path(shutil.copytree(DEFAULT_DATA_DIR, tmp_path_factory.mktemp("ledger") / "data",
                                  ignore=shutil.ignore_patterns("aiwatch")))
    with open(folder / "sources.csv", newline="", encoding="utf-8") as handle:
        published = {row["source_id"]: row["published"] for row in csv.DictReader(handle)}
    with open(folder / "claims.csv", newline="", encoding="utf-8") as handle:
        header, *rows = csv.reader(handle)
    claim = [dict(zip(header, row)) for row in rows]
    written = [published.get(c["source_id"]) or c["as_of"] for c in claim]
    busiest = sorted(range(len(rows)), key=lambda i: -written.count(written[i]))
    chosen = {}
    for i in busiest:
        chosen.setdefault(claim[i]["metric"], rows[i])
    with open(folder / "claims.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *chosen.values()])
    return _both(folder)


def _same(duck, spark, table) -> None:
    pd.testing.assert_frame_equal(table(duck), table(spark), check_exact=True)


def _same_columns(duck, spark, table) -> None:
    """The same columns, values and types from both engines (`life.Life`: numpy arrays, no frame)."""
    ours, theirs = table(duck), table(spark)
    assert ours.labels == theirs.labels and list(ours.columns) == list(theirs.columns)
    for name, values in ours.columns.items():
        assert values.dtype.kind == theirs[name].dtype.kind and np.array_equal(values, theirs[name]), name


LIFE_TABLES = {
    "by company": dict(by=("company",)),
    "by company and cohort": dict(by=("company", "cohort")),
    "by company and group": dict(by=("company", "group")),
    "followed to the as-of day": dict(by=("company",), censoring="freeze"),
    "one cohort but one person, earlier day": dict(company="xai", cohort="founder", exclude=["elon-musk"],
                                                   as_of="2026-02-11"),
    "from a founding day": dict(company="xai", cohort="founder", origin="2023-07-12"),
}


@pytest.mark.parametrize("params", LIFE_TABLES.values(), ids=LIFE_TABLES)
@pytest.mark.slow
def test_life_tables_are_identical_on_the_shipped_data(shipped, params) -> None:
    scope = {key: value for key, value in params.items() if key != "by"}
    _same(*shipped, lambda ds: roster.life_table(ds, Scope.of(ds, **scope), by=params.get("by", ("company",))))


@pytest.mark.slow
def test_every_table_of_the_core_is_identical_on_the_shipped_data(shipped) -> None:
    queries = [roster.events, roster.conflicts, roster.milestones, roster.spells, roster.lasting, roster.readings,
              roster.moves_between,
              lambda ds: roster.spells(ds, Scope.of(ds, "openai", as_of="2024-06-30")),
              lambda ds: roster.lasting(ds, Scope.of(ds, "openai", as_of="2024-06-30")),
              lambda ds: roster.headcount_table(ds),
              lambda ds: roster.headcount_table(ds, Scope.of(ds, "openai"), freq="YS", start="2016-01-01")]
    for query in queries:
        _same(*shipped, query)
    _same_columns(*shipped, lambda ds: life.interval_bounds(ds, Scope.at_freeze(ds), by=("company", "cohort")))


METRICS = [  # the ledger below checks the others (departed_share, departure_rank, headcount...) at many days
    ("median_tenure", dict(company="xai", cohort="founder")),
    ("share_departed_by_tenure", dict(company="openai", cohort="founder", days="1000")),
    ("compare_labs", dict(cohort="founder", at_years="1,2,3")),
    ("hires_between", dict(company="xai", start="2024-02-01", end="2024-03-31")),
    ("days_per_hire", dict(company="xai", start="2024-02-01", end="2024-03-31")),
    ("destinations", dict(company="openai", cohort="founder")),
    ("flow_matrix", dict(cohort="founder")),
]


@pytest.mark.slow
def test_every_metric_is_identical_on_the_shipped_data(shipped) -> None:
    duck, spark = shipped
    for name, params in METRICS:
        assert compute(name, spark, **params).to_dict() == compute(name, duck, **params).to_dict(), name


@pytest.mark.slow
def test_one_claim_of_each_metric_is_checked_identically_then_and_now(one_claim_per_metric) -> None:
    """The ledger's every metric (and a claim not evaluated), checked on the data and as known when written: the
    fast sibling of the whole ledger below."""
    duck, spark = one_claim_per_metric
    ledger = evaluate(duck)
    assert len(ledger) == len(set(ledger["metric"])) > 10 and len(set(ledger["known_then"])) > 1
    _same(duck, spark, evaluate)


@pytest.mark.slow
def test_the_claims_ledger_is_identical_on_the_shipped_data(shipped) -> None:
    """67 checked claims at 15 as-of days: departed_share, departed_count, remaining_count, headcount, departures_between,
    departure_rank, days_per_hire, hiring_rate_ratio, days_before_milestone and the facts, on days before the freeze."""
    _same(*shipped, evaluate)


@pytest.mark.slow
def test_the_command_line_prints_the_same_and_builds_the_same_files(tmp_path, capsys) -> None:
    args = ["metric", "departed_share", "--company", "xai", "--cohort", "founder", "--as-of", "2026-02-11",
            "--format", "json"]
    assert main(args) == 0
    duck = capsys.readouterr().out
    assert main([*args, "--engine", "spark"]) == 0
    assert capsys.readouterr().out == duck
    assert main(["build", "--out", str(tmp_path / "duckdb")]) == 0
    assert main(["build", "--out", str(tmp_path / "spark"), "--engine", "spark"]) == 0
    files = sorted(p.name for p in (tmp_path / "duckdb").glob("*.csv"))
    assert files and sorted(p.name for p in (tmp_path / "spark").glob("*.csv")) == files
    assert filecmp.cmpfiles(tmp_path / "duckdb", tmp_path / "spark", files, shallow=False)[0] == files


@pytest.mark.slow
def test_dataset_toml_can_choose_spark(tmp_path) -> None:
    folder = write_dataset(tmp_path / "data", dataset_toml='[dataset]\nfreeze_date = "2025-12-31"\n\n'
                                                         '[engine]\nname = "spark"\n')
    ds = engines.on_engine(load(folder))
    assert ds.engine.dialect == "spark"
    assert ds.engine.rows("SELECT count(*) FROM people") == [(6,)], "Spark reads the dataset's tables"
    import attrition

    assert attrition.load(folder).engine.dialect == "spark", "the package's own load honours [engine] too"


def _as_parquet(folder: Path, out: Path) -> Path:
    """A dataset folder's tables as a roster kept in Parquet: every column as text, and the line of each record."""
    out.mkdir()
    shutil.copy(folder / "dataset.toml", out)
    for spec in TABLES.values():
        if (folder / spec.file).exists():
            table = pd.read_csv(folder / spec.file, dtype=str, keep_default_na=False)
            table[LINE] = csvfiles.record_lines(folder / spec.file)
            con = duckdb.connect()
            con.register("records", table)
            con.execute(f"COPY records TO '{out / parquet_file(spec)}' (FORMAT parquet)")
    return out


def _problems(check) -> list[str]:
    with pytest.raises(DataError) as refused:
        check()
    return [str(problem) for problem in refused.value.problems]


BAD_ROWS = {  # every kind of check: cells, keys, references, the order of spells
    "sources_csv": FILES["sources.csv"] + "s5,Blog,Post,ftp://example.org,2021-13-01,en,\n",
    "people_csv": FILES["people.csv"] + "Bad Id,Bad,acme,boss,,,\nerin,Erin again,acme,hire,,,\n"
                  "gus,\x01Gus,acme,hire,,,\n",
    "evidence_csv": FILES["evidence.csv"] + (
        "erin,acme,1,leave,2020-02-01,2020-01-01,s2,ends before it starts,\n"
        "erin,acme,2,return,2022-01-01,2022-01-01,s9,back from a source nobody lists,\n"
        "zed,acme,1,join,2021-01-01,2021-01-01,s1,not in people.csv,\n"
        "alice,acme,0,quit,2021-1-1,2021-01-01,s1,bad cells,\n"
        "dan,acme,1,observed,2025-01-01,2025-01-01,s4,seen after stepping back,\n"
        "bob,acme,1,leave,2022-03-01,2022-03-31,s2,left in March,\n"),
}


@pytest.mark.slow
def test_spark_refuses_the_same_rows_with_the_same_locations(tmp_path) -> None:
    """The checks are the same SQL on both engines: a roster kept as Parquet is checked where it is kept."""
    folder = write_dataset(tmp_path / "csv", **BAD_ROWS)
    duck = _problems(lambda: load(folder))
    spark = _problems(lambda: check_parquet(_as_parquet(folder, tmp_path / "parquet"), SparkEngine()))
    assert len(duck) > 12 and spark == duck


@pytest.mark.slow
def test_spark_validates_a_roster_kept_as_parquet(tmp_path, capsys) -> None:
    folder = write_dataset(tmp_path / "csv")
    assert main(["validate", "--data", str(folder)]) == 0
    said = capsys.readouterr().out
    kept = _as_parquet(folder, tmp_path / "parquet")
    assert main(["validate", "--engine", "spark", "--data", str(kept)]) == 0
    assert capsys.readouterr().out == said.replace(str(folder), str(kept))
    (kept / parquet_file(TABLES["evidence"])).unlink()
    assert main(["validate", "--engine", "spark", "--data", str(kept)]) == 2
    assert "evidence.parquet: file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_a_synthetic_roster_gives_identical_life_tables(synthetic) -> None:
    duck, spark, spells = synthetic
    assert duck.engine.rows(f"SELECT count(*) FROM {tables.spells_table(duck, Scope.at_freeze(duck))}")[0][0] \
        >= spells
    _same(duck, spark, lambda ds: roster.life_table(ds, by=("company", "cohort")))  # by company is its sum over cohorts
    _same_columns(duck, spark, lambda ds: life.interval_bounds(ds, Scope.at_freeze(ds), by=("company",)))


@pytest.mark.slow
def test_a_synthetic_roster_gives_identical_metrics(synthetic) -> None:
    duck, spark, _ = synthetic
    for name, params in [("departed_share", dict(company="co-0001", cohort="hire")),
                         ("median_tenure", dict(company="co-0002")),
                         ("hires_between", dict(company="co-0003", start="2020-01-01", end="2020-12-31")),
                         ("days_per_hire", dict(company="co-0003", start="2020-01-01", end="2020-12-31")),
                         ("compare_labs", dict(cohort="founder"))]:
        assert compute(name, spark, **params).to_dict() == compute(name, duck, **params).to_dict(), name
