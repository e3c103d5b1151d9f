"""`make bench`: how long each command takes and how much memory it needs, from 1e3 to 1e7 people.

Every measurement runs in a fresh process (`python -m attrition.dev.bench --task ...`), which reports
its time after start-up (the interpreter and DuckDB loaded; the package is byte-compiled first, as
pip does on install) and the driver adds the whole wall time and the peak memory (max RSS) of that
process. The yardstick is timed in the same run on the same files: `attrition.dev.reference`, a
hand-written DuckDB script from the CSV files to the resolved tables (beside `validate` then `build`)
and to three answers (beside `validate`, `build` and three `metric` commands), with the ratio of the
wall times; on a million people and more the two alternate, round by round, and the ratio is the
median of the rounds'. Two references also build one life table from 1e7 spells: a DuckDB GROUP BY
and a numpy bincount. The Spark columns time the same commands with `--engine spark` (local mode, two
cores): the whole wall time, and the time after Spark has started; they stay empty where a command
does not run the relational core, or where Java or pyspark is missing. Every row gives the machine's
load average (1 minute) when it was measured: on a shared machine the wall times move with it, the
ratios much less. This is a benchmark, not a test: it prints, it does not assert.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from attrition.locations import REPO_ROOT

SIZES = ((1_000, 10, "mixed"), (10_000, 10, "mixed"), (100_000, 10, "mixed"), (100_000, 1_000, "mixed"),
         (1_000_000, 10, "mixed"), (1_000_000, 1_000, "mixed"), (1_000_000, 10, "month"), (10_000_000, 10, "mixed"))
ANSWERS = ("departed_share --company co-0001", "median_tenure --company co-0001", "compare_labs --cohort founder")
"""The three answers the reference gives: the end-to-end rows run these after `validate` and `build`."""
METRICS = (
    "departed_share --company co-0001",
    "departed_count --company co-0001",
    "remaining_count --company co-0001",
    "headcount --company co-0001",
    "departures_between --company co-0001 --start 2020-01-01 --end 2020-12-31",
    "median_tenure --company co-0001",
    "share_departed_by_tenure --company co-0001 --days 365",
    "departure_rank --company co-0001 --person {leaver}",
    "hires_between --company co-0001 --start 2020-01-01 --end 2020-12-31",
    "days_per_hire --company co-0001 --start 2020-01-01 --end 2020-12-31",
    "hiring_rate_ratio --company co-0001 --start 2021-01-01 --end 2021-12-31 --baseline-start 2020-01-01 "
    "--baseline-end 2020-12-31",
    "compare_labs --cohort founder",
)
RUNS = 3
"""Rounds of validate, build and the references on a million people; the table gives each command's fastest run
and the slowest's time, and the median of the rounds' ratios."""
SPARK_METRICS = ("departed_share", "median_tenure", "hires_between", "compare_labs")
"""The metrics also timed on Spark: a slice of spells, a life table, hires in a window, life tables of every company."""
_CHECK = "check departed_share --company xai --cohort founder --as-of 2026-02-11 --reported 0.5 --reading exact"
SHIPPED = ("validate", "validate", "build",
           *(command for command in ("metric departed_share --company xai --cohort founder",
                                     "metric median_tenure --company xai --cohort founder",
                                     "metric compare_labs --cohort founder", "claims", _CHECK) for _ in (1, 2)))
"""Each command twice, on the repository's data, in this order (so the cache is built by `validate` and `build`):
first cold (reading the files and checking every claim; computing the answer from the cached tables), then warm
(reading what the first run kept in the cache: the checked tables, the ledger, the answer), as a user's second
command runs."""


# --- tasks, each run in its own process ------------------------------------------------------------

def _task_cli(args: list[str]) -> float:
    import contextlib
    import io

    if "spark" in args:  # start-up includes starting Spark
        from attrition.backends.spark import shared_session

        shared_session()
    started = time.perf_counter()
    from attrition.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    if code != 0:
        raise SystemExit(f"command failed: attrition {' '.join(args)}")
    return time.perf_counter() - started


def _lasting_view(con, folder: Path) -> None:
    con.execute(f"CREATE VIEW lasting AS SELECT * FROM read_parquet('{folder / 'lasting.parquet'}')")


def _task_km_tool(folder: Path, cutoff: int, engine_name: str = "duckdb") -> float:
    """The tool's path for one curve: core SQL life table (midpoint reading) over Parquet, then Kaplan-Meier."""
    import numpy as np

    from attrition.backends.duckdb import Engine
    from attrition.core import relations
    from attrition.measures import estimators

    if engine_name == "spark":  # start-up includes starting Spark
        from attrition.backends.spark import SparkEngine, shared_session

        shared_session()
    started = time.perf_counter()
    engine = SparkEngine() if engine_name == "spark" else Engine()
    engine.load_parquet("lasting", folder / "lasting.parquet")
    sql = relations.life_table(relations.readings("lasting", cutoff, "'all' AS scope", only=("midpoint",), censoring="freeze"),
                          "scope")
    life = engine.arrays(f"SELECT days_2, CAST(events AS BIGINT) AS events, CAST(censored AS BIGINT) AS censored "
                         f"FROM ({sql}) AS life")
    estimators.fit(np.zeros(len(life["days_2"]), dtype=np.int64), life["days_2"] / 2, life["events"], life["censored"])
    return time.perf_counter() - started


def _task_km_duckdb(folder: Path, cutoff: int) -> float:
    """Reference: the same midpoint life table as one hand-written DuckDB GROUP BY."""
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    _lasting_view(con, folder)
    con.execute(f"""SELECT greatest(CASE WHEN end_lo + end_hi <= {2 * cutoff} THEN end_lo + end_hi
                    ELSE {2 * cutoff} END - start_lo - start_hi, 0) AS t, sum(CASE WHEN end_lo + end_hi <= {2 * cutoff}
                    THEN 1 ELSE 0 END) AS d, count(*) AS n FROM lasting GROUP BY ALL""").df()
    return time.perf_counter() - started


def _task_km_numpy(folder: Path, cutoff: int) -> float:
    """Reference: the midpoint life table by np.bincount over columns read from Parquet."""
    import duckdb
    import numpy as np

    started = time.perf_counter()
    cols = duckdb.connect().execute(f"SELECT start_lo, start_hi, end_lo, end_hi FROM "
                                    f"read_parquet('{folder / 'lasting.parquet'}')").fetchnumpy()
    end = (cols["end_lo"].astype("float64") + cols["end_hi"].astype("float64"))
    left = np.nan_to_num(end, nan=np.inf) <= 2 * cutoff
    stop = np.where(left, end, 2 * cutoff)
    t = np.maximum(stop - cols["start_lo"] - cols["start_hi"], 0).astype(np.int64)
    np.bincount(t, weights=left), np.bincount(t)
    return time.perf_counter() - started


def _task_turnbull(data: Path) -> float:
    """One interval-censored fit over every spell of the dataset (from the cache)."""
    import numpy as np

    from attrition.core import life
    from attrition.core.scope import Scope
    from attrition.io.dataset import load
    from attrition.measures import estimators

    started = time.perf_counter()
    ds = load(data)
    bounds = life.interval_bounds(ds, Scope.at_freeze(ds), by=("company",))
    pairs, index = np.unique(np.column_stack([bounds["lower"], bounds["upper"]]), axis=0, return_inverse=True)
    estimators.turnbull_fit(pairs[:, 0], pairs[:, 1], np.bincount(index.ravel(), bounds["n"]))
    return time.perf_counter() - started


def _run_task(spec: dict) -> None:
    import duckdb  # noqa: F401  (start-up: the engine is loaded before timing; pandas, where needed, is timed)

    kind, value = spec["kind"], None
    if kind == "leaver":
        elapsed, value = 0.0, _first_leaver(Path(spec["data"]))
    elif kind == "generate":
        from attrition.dev.synthetic import write_synthetic

        write_synthetic(Path(spec["folder"]), spec["n"], spec["k"], spec["precision"], seed=spec["n"] + spec["k"])
        elapsed = 0.0
    elif kind == "hr_export":
        from attrition.dev.synthetic import HR_MAPPING, write_hr_export

        write_hr_export(Path(spec["folder"]) / "export.csv", spec["n"], 50, seed=1)
        (Path(spec["folder"]) / "mapping.toml").write_text(HR_MAPPING)
        elapsed = 0.0
    elif kind == "lasting":
        elapsed = float(_lasting_parquet(Path(spec["folder"]), spec["n"]))
    elif kind == "cli":
        elapsed = _task_cli(spec["args"])
    elif kind == "turnbull":
        elapsed = _task_turnbull(Path(spec["data"]))
    elif kind == "km_tool":
        elapsed = _task_km_tool(Path(spec["folder"]), spec["cutoff"], spec.get("engine", "duckdb"))
    else:
        elapsed = {"km_duckdb": _task_km_duckdb, "km_numpy": _task_km_numpy}[kind](Path(spec["folder"]), spec["cutoff"])
    print(json.dumps({"inside": elapsed, "value": value}))


# --- driver --------------------------------------------------------------------------------------

def _popen_peak(spec: dict, env: dict, argv: list[str] | None = None) -> dict:
    """Run one task in a fresh process: its own time after start-up, whole wall time, peak memory (from wait4).
    With `argv`, run that command instead (the reference script), which reports no time of its own."""
    started = time.perf_counter()
    argv = argv or [sys.executable, "-m", "attrition.dev.bench", "--task", json.dumps(spec)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                                                (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
        out.seek(0), err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"benchmark task failed: {spec or argv}\n{err.read()}")
        report = json.loads(out.read().strip().splitlines()[-1]) if spec else {"inside": float("nan"), "value": None}
    return {"wall": wall, "inside": report["inside"], "value": report["value"], "peak_mib": usage.ru_maxrss / 1024}


def _reference(mode: str, data: Path, env: dict, out: Path) -> dict:
    """One run of the reference script (`prepare`: to the resolved tables; `answers`: to the three answers)."""
    argv = [sys.executable, "-m", "attrition.dev.reference", mode, str(data), *([str(out)] if mode == "prepare" else [])]
    return _popen_peak({}, env, argv)


def _together(runs: list[dict]) -> dict:
    """Commands run one after the other, as one: times added, the largest peak."""
    return {"wall": sum(r["wall"] for r in runs), "inside": sum(r["inside"] for r in runs),
            "peak_mib": max(r["peak_mib"] for r in runs)}


def _load() -> float:
    return os.getloadavg()[0]


def _row(size: str, what: str, m: dict, target: str = "", spark: dict | None = None,
         reference: dict | None = None, ratio: float | None = None) -> str:
    on_spark = f"{spark['wall']:.2f} | {spark['inside']:.2f}" if spark else " | "
    inside = "" if m["inside"] != m["inside"] else f"{m['inside']:.2f}"
    against = f"{reference['wall']:.2f} | {ratio:.1f}x" if reference else " | "
    return (f"| {size} | {what} | {m['wall']:.2f} | {inside} | {m['peak_mib']:,.0f} | {against} | {on_spark} | "
            f"{target} | {_load():.1f} |")


def _forget_answers(cache_root: Path) -> None:
    """Remove the answers kept in the cache (`cache.answered`), keeping its tables, so that a metric is computed."""
    from attrition.io import cache

    for kept in cache_root.glob(f"*/{cache.ANSWERS}"):
        shutil.rmtree(kept)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _rounds(data: Path, work: Path, env: dict, runs: int, answers: bool) -> list[dict]:
    """`runs` rounds, each from no cache: `validate`, then `build` (which reads what validate kept), then (with
    `answers`) the three answers from the cache, each command in its own process; and the reference script,
    to the resolved tables and (with `answers`) to the three answers."""
    rounds = []
    for _ in range(runs):
        shutil.rmtree(work / "cache", ignore_errors=True)
        cli = lambda *args: _popen_peak({"kind": "cli", "args": [*args, "--data", str(data)]}, env)
        done = {"validate": cli("validate"), "build": cli("build", "--out", str(work / "out")),
                "prepare": _reference("prepare", data, env, work / "reference")}
        if answers:
            done["metrics"] = [cli("metric", *metric.split()) for metric in ANSWERS]
            done["answers"] = _reference("answers", data, env, work / "reference")
        rounds.append(done)
    return rounds


def _size_rows(size: str, rounds: list[dict], big: bool, huge: bool) -> list[str]:
    """The rows of `_rounds`: each command's fastest run (and, on a million people and more, the slowest's time),
    validate and build together beside the reference, and end to end beside the reference."""
    fastest = lambda runs: min(runs, key=lambda m: m["wall"])
    note = lambda runs: f" (fastest of {len(runs)}; slowest {max(m['wall'] for m in runs):.2f} s wall)" \
        if len(runs) > 1 else ""
    validate, build = [r["validate"] for r in rounds], [r["build"] for r in rounds]
    both = [_together([r["validate"], r["build"]]) for r in rounds]
    prepare = [r["prepare"] for r in rounds]
    rows = [_row(size, f"`validate` from CSV{note(validate)}", fastest(validate)),
            _row(size, f"`build`, reading what `validate` kept{note(build)}", fastest(build),
                 "<= 8 GiB" if huge else ""),
            _row(size, f"`validate` then `build` (as `make report` runs them){note(both)}", fastest(both),
                 "<= 3x reference" if big else "", reference=fastest(prepare),
                 ratio=_median([b["wall"] / p["wall"] for b, p in zip(both, prepare)]))]
    if "answers" in rounds[0]:
        ends = [_together([r["validate"], r["build"], *r["metrics"]]) for r in rounds]
        answers = [r["answers"] for r in rounds]
        rows.append(_row(size, f"end to end: `validate`, `build`, then {len(ANSWERS)} answers (`departed_share`, "
                               f"`median_tenure`, `compare_labs`){note(ends)}", fastest(ends),
                         "<= 3x reference" if big else "", reference=fastest(answers),
                         ratio=_median([e["wall"] / a["wall"] for e, a in zip(ends, answers)])))
    return rows


def _spark_runs() -> bool:
    """Whether this machine can time Spark: pyspark installed, and a Java runtime."""
    import importlib.util

    return importlib.util.find_spec("pyspark") is not None and bool(shutil.which("java") or os.environ.get("JAVA_HOME"))


def _lasting_parquet(folder: Path, n_spells: int) -> int:
    """A Parquet table of first lasting departures with n_spells rows (day and month precision; every company
    still observed, everyone followed to the cutoff, as the references read it), and its cutoff."""
    import duckdb

    cutoff = 20_779  # 2026-11-22
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""
        COPY (SELECT 'co-' || lpad(CAST(i % 1000 + 1 AS VARCHAR), 4, '0') AS company, start_lo,
                     start_lo + CASE WHEN i % 2 = 0 THEN 0 ELSE 29 END AS start_hi,
                     CASE WHEN i % 5 < 3 THEN least(start_lo + 90 + (hash(i) % 2500), {cutoff}) END AS end_lo,
                     CASE WHEN i % 5 < 3 THEN least(start_lo + 90 + (hash(i) % 2500)
                          + CASE WHEN i % 3 = 0 THEN 30 ELSE 0 END, {cutoff}) END AS end_hi,
                     CAST(NULL AS INTEGER) AS company_end, CAST(NULL AS INTEGER) AS entry
              FROM (SELECT i, 14610 + CAST(hash(i * 7) % 6000 AS INTEGER) AS start_lo FROM range({n_spells}) t(i)))
        TO '{folder / 'lasting.parquet'}' (FORMAT parquet)""")
    return cutoff


def _first_leaver(data: Path) -> str:
    """Someone at co-0001 who left (departure_rank needs a departure to rank)."""
    import duckdb

    return duckdb.connect().execute(
        f"SELECT min(person_id) FROM read_csv('{data / 'evidence.csv'}', all_varchar=true) "
        "WHERE company = 'co-0001' AND event = 'leave' AND spell = '1'").fetchone()[0]


def drive(work: Path, sizes: tuple = SIZES, spark: bool = True) -> None:
    """Generate the rosters, run every measurement and print one Markdown table (the driver itself stays small)."""
    env = {**os.environ, "ATTRITION_CACHE": str(work / "cache")}
    compileall.compile_dir(Path(__file__).parents[1], quiet=1)  # as pip does on install: no timing compiles our sources
    spark = spark and _spark_runs()
    on_spark = (lambda args: _popen_peak({"kind": "cli", "args": [*args, "--engine", "spark"]}, env)) if spark \
        else (lambda args: None)
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} "
          f"GiB; python {sys.version.split()[0]}; Spark {'local[2]' if spark else 'not timed'}; "
          f"load average at the start {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    print("| size | command | wall s | after start-up s | peak MiB | reference wall s | tool / reference "
          "| Spark wall s | Spark after start-up s | target | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    data_dir = REPO_ROOT / "data"
    for i, command in enumerate(SHIPPED):
        args = command.split() + ["--data", str(data_dir)] + (["--out", str(work / "out-shipped")] if command == "build" else [])
        again = " (again, warm: what the first run kept in the cache)" if command in SHIPPED[:i] else ""
        timed = on_spark(args) if command.split()[0] == "metric" and not again else None
        print(_row("shipped data", f"`attrition {command}`{again}", _popen_peak({"kind": "cli", "args": args}, env),
                   "<= 0.35 s wall", timed), flush=True)
    for n, k, precision in sizes:
        data = work / f"n{n}-k{k}-{precision}"
        _popen_peak({"kind": "generate", "folder": str(data), "n": n, "k": k, "precision": precision}, env)
        size = f"{n:,} people, {k:,} companies, {precision}"
        big, huge = n >= 1_000_000, n > 1_000_000
        rounds = _rounds(data, work, env, RUNS if big and not huge else 1, answers=k == 10 and precision == "mixed")
        for row in _size_rows(size, rounds, big, huge):
            print(row, flush=True)
        if huge:
            shutil.rmtree(data)
            continue
        leaver = _popen_peak({"kind": "leaver", "data": str(data)}, env)["value"]
        for metric in (m.format(leaver=leaver) for m in METRICS):
            if "compare_labs" not in metric and k == 1_000 or precision == "month" and "compare_labs" in metric:
                continue
            target = ("<= 3 s" if "compare_labs" in metric and k == 1_000 else "<= 1 s after start-up") if big else ""
            args = ["metric", *metric.split(), "--data", str(data)]
            _forget_answers(work / "cache")  # the row times the metric computed from the cached tables
            timed = on_spark(args) if metric.split()[0] in SPARK_METRICS and precision == "mixed" else None
            print(_row(size, f"`metric {metric.split()[0]}` (cache)", _popen_peak({"kind": "cli", "args": args}, env),
                       target, timed), flush=True)
        if precision == "month" and big:
            print(_row(size, "interval-censored fit over all 1,000,000 people (cache)",
                       _popen_peak({"kind": "turnbull", "data": str(data)}, env), "<= 10 s"), flush=True)
        shutil.rmtree(data)
    for n in (n for n in (100_000, 1_000_000) if any(size[0] >= n for size in sizes)):
        hr = work / f"hr-{n}"
        _popen_peak({"kind": "hr_export", "folder": str(hr), "n": n}, env)
        args = ["import", "roster", str(hr / "export.csv"), "--mapping", str(hr / "mapping.toml"), "--out",
                str(hr / "dataset")]
        print(_row(f"{n:,}-row HR export, 50 companies", "`import roster`", _popen_peak({"kind": "cli", "args": args}, env),
                   "<= 20 s, <= 4 GiB" if n == 1_000_000 else ""), flush=True)
    folder = work / "km"
    folder.mkdir(exist_ok=True)
    cutoff = int(_popen_peak({"kind": "lasting", "folder": str(folder), "n": 10_000_000}, env)["inside"])
    tool = _popen_peak({"kind": "km_tool", "folder": str(folder), "cutoff": cutoff}, env)
    on_spark_km = _popen_peak({"kind": "km_tool", "folder": str(folder), "cutoff": cutoff, "engine": "spark"}, env) \
        if spark else None
    duck = _popen_peak({"kind": "km_duckdb", "folder": str(folder), "cutoff": cutoff}, env)
    numpy = _popen_peak({"kind": "km_numpy", "folder": str(folder), "cutoff": cutoff}, env)
    size = "10,000,000 spells (Parquet)"
    print(_row(size, "one Kaplan-Meier curve over every spell (tool)", tool, "<= 3 s, <= 3x DuckDB", on_spark_km))
    print(_row(size, f"reference: DuckDB GROUP BY life table (tool / DuckDB = {tool['inside'] / duck['inside']:.1f}x)",
               duck))
    print(_row(size, f"reference: numpy bincount life table (tool / numpy = {tool['inside'] / numpy['inside']:.1f}x)",
               numpy), flush=True)
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attrition.dev.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help="folder for the generated rosters (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="only the sizes up to 100,000 people")
    parser.add_argument("--no-huge", action="store_true", help="leave out the ten million people (saves minutes)")
    parser.add_argument("--no-spark", action="store_true", help="leave the Spark columns empty (faster)")
    args = parser.parse_args(argv)
    if args.task:
        _run_task(json.loads(args.task))
        return 0
    sizes = tuple(s for s in SIZES if s[0] <= (100_000 if args.quick else 1_000_000 if args.no_huge else s[0]))
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        drive(args.work, sizes, not args.no_spark)
    else:
        with tempfile.TemporaryDirectory(prefix="attrition-bench-") as work:
            drive(Path(work), sizes, not args.no_spark)
    return 0


if __name__ == "__main__":
    sys.exit(main())
