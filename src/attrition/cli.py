"""The `attrition` command: validate the data, build tidy tables, print metrics, run the report.

Exit codes: 0 success, 2 bad data, bad arguments or an output that cannot be written, with every
problem printed to stderr and located (file, line, column, value; or the argument). No input
produces a traceback. Heavy libraries are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from attrition.backends.duckdb import ENGINES
from attrition.locations import DEFAULT_DATA_DIR
from attrition.measures.registry import PARAMETERS, flag
from attrition.schema import READINGS, DataError


def load(data_dir: Path):
    """The checked dataset (imported here so that `attrition --help` needs no pandas)."""
    from attrition.io.dataset import load as load_dataset

    return load_dataset(data_dir)


def known(args: argparse.Namespace, ds):
    """The dataset as known on `--known-as-of`, if given (what that leaves out is said on stderr), else `ds`."""
    if args.known_as_of is None:
        return ds
    from attrition.io.vintage import note

    vintage = ds.as_known_on(args.known_as_of)
    print(f"note: {note(args.known_as_of, vintage.left_out)}", file=sys.stderr)
    return vintage


def load_on_engine(args: argparse.Namespace):
    """The checked dataset (as known on `--known-as-of`, if given), its relational core on the engine `--engine`
    names (else dataset.toml's, else DuckDB)."""
    from attrition.core.engines import on_engine

    return on_engine(known(args, load(args.data)), args.engine)


EXIT_OK, EXIT_ERROR = 0, 2
SHOWN_PROBLEMS = 20
"""Problems printed on screen; the rest go to ERRORS_FILE, so one wrong date format in a large export does not
print a line per row."""
ERRORS_FILE = "attrition-errors.txt"
WITHOUT_PANDAS = ("validate", "build", "claims")
"""Commands that never load pandas (a test holds them to it): on a small dataset it would be a third of their time.
(`claims` as text or JSON; as CSV it writes through pandas.)"""
SUPPRESS = argparse.SUPPRESS


def _iso_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


class Parser(argparse.ArgumentParser):
    """argparse with shorter errors: the message, the nearest valid option or choice, and where help is,
    instead of the whole usage block first."""

    def error(self, message: str):
        from attrition.text import did_you_mean

        hint = ""
        unknown = re.match(r"unrecognized arguments: (\S+)", message)
        choice = re.match(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if unknown:
            hint = did_you_mean(unknown.group(1), sorted(_options(self)))
        elif choice:
            hint = did_you_mean(choice.group(2), [c.strip(" '") for c in choice.group(3).split(",")])
        self.exit(EXIT_ERROR, f"error: {message}{hint}\n(`{self.prog} --help` lists the options)\n")


def _options(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of a parser and of its subcommands, for "did you mean"."""
    found = set()
    for action in parser._actions:
        found.update(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options(sub)
    return found


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("attrition")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR",
                        help="folder with the data files (default: the repository's data/)")
    common.add_argument("--known-as-of", type=_iso_date, metavar="DATE",
                        help="use only what sources published on or before DATE say (sources without a publication "
                             "date are left out, and counted); default: everything the data holds")
    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--engine", choices=ENGINES, help="where the relational core runs (default: the data's "
                                                          "dataset.toml [engine] name, else duckdb)")
    parser = Parser(prog="attrition", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"attrition {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("validate", parents=[common, engine],
                   help="check every data file and print all problems (with --engine spark: the tables kept as "
                        "Parquet, checked by Spark)")

    build = sub.add_parser("build", parents=[common, engine], help="write the tidy tables as CSV (and cache the data)")
    build.add_argument("--as-of", type=_iso_date, help="as-of date (default: the dataset's freeze date)")
    build.add_argument("--out", type=Path, help="output folder (default: build/<data folder name>)")

    params = argparse.ArgumentParser(add_help=False, argument_default=SUPPRESS)
    for name, parameter in PARAMETERS.items():  # every metric parameter, as the registry declares it
        kind = parameter.kind
        params.add_argument(flag(name), dest=name, help=parameter.help, metavar=parameter.metavar,
                            type=_iso_date if kind == "date" else None, nargs="+" if kind == "people" else None,
                            choices=kind if isinstance(kind, tuple) else None)
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--format", choices=("text", "json"), default="text")

    metric = sub.add_parser("metric", parents=[common, engine, params, output],
                            help="compute one metric, as a range where dates are uncertain")
    metric.add_argument("name", help="metric name, e.g. departed_share ('attrition metric list' lists them)")

    check = sub.add_parser("check", parents=[common, engine, params, output], help="check one claim against the data")
    check.add_argument("name", help="metric name, e.g. departed_share")
    check.add_argument("--reported", required=True, help="the value the claim states (a number, or an ISO date)")
    check.add_argument("--reading", required=True, choices=[r for r in READINGS if r != "not_evaluated"])
    check.add_argument("--tolerance", help="allowed difference (needed for --reading about)")

    claims = sub.add_parser("claims", parents=[common, engine], help="print the claims ledger with verdicts")
    claims.add_argument("--format", choices=("table", "csv", "json"), default="table")
    claims.add_argument("--claim", metavar="CLAIM_ID", help="only this claim")

    imports = sub.add_parser("import", help="turn an export from elsewhere into a dataset folder")
    kinds = imports.add_subparsers(dest="kind", required=True)
    roster = kinds.add_parser("roster", help="a flat roster (one row per person spell), described by a mapping file")
    roster.add_argument("export", type=Path, metavar="EXPORT.csv", help="the roster export (CSV, UTF-8)")
    roster.add_argument("--mapping", type=Path, required=True, metavar="MAPPING.toml",
                        help="which columns hold what: a [roster] table (see the README)")
    roster.add_argument("--out", type=Path, required=True, metavar="DIR", help="the dataset folder to write")
    aiwatch = kinds.add_parser("aiwatch", help="AI Watch's position tables (.sql files and a snapshot.toml)")
    aiwatch.add_argument("folder", type=Path, metavar="FOLDER", help="the folder with the .sql files, e.g. data/aiwatch")
    aiwatch.add_argument("--out", type=Path, required=True, metavar="DIR", help="the dataset folder to write")
    for kind in (roster, aiwatch):
        kind.add_argument("--known-as-of", type=_iso_date, metavar="DATE",
                          help="import only what was published on or before DATE: every row rests on the export, "
                               "dated by its end of observation, so an earlier DATE is refused")

    report = sub.add_parser("report", parents=[common],
                            help="execute the notebooks and render the static site")
    report.add_argument("--notebooks", type=Path, default=None, help="notebook folder (default: notebooks/)")
    report.add_argument("--out", type=Path, default=None, help="site folder (default: site/)")
    report.add_argument("--company", help="the company the standard roster report is about "
                                          "(default: the one with the most people)")
    report.add_argument("--no-execute", action="store_true",
                        help="render the committed notebooks as they are (the repository's data only)")
    return parser


def checked_claims(ds) -> None:
    """Refuse (DataError, located) what would stop `claims` or `report`: claims the registry or the data cannot
    check, and a story dataset without the ids the story notebooks name. The ledger is computed (and kept in the
    cache), so a claim whose metric fails on the data is found here, not half-way through a later command."""
    from attrition.claims.file import claim_problems
    from attrition.claims.ledger import ledger
    from attrition.io.config import report_problems

    problems = claim_problems(ds) + report_problems(ds.engine, ds.config, ds.data_dir)
    if problems:
        raise DataError(problems)
    ledger(ds)


def _validate(args: argparse.Namespace) -> int:
    from attrition.core.tables import conflicted_events
    from attrition.text import count_words

    if args.engine == "spark":
        from attrition.backends.spark import SparkEngine
        from attrition.io.dataset import check_parquet

        ds = check_parquet(args.data, SparkEngine())
    else:
        ds = load(args.data)
        _keep_checked(ds)
    checked_claims(ds)
    ds = known(args, ds)
    n = {table: ds.count(table) for table in ("sources", "people", "evidence", "milestones", "counts", "claims")}
    counts = [count_words(n["sources"], "source"),
              count_words(n["people"], "person", "people") + " at "
              + count_words(len(ds.companies), "company", "companies"),
              f"{count_words(n['evidence'], 'evidence row')} "
              f"({count_words(conflicted_events(ds), 'event')} with conflicting sources)",
              count_words(n["milestones"], "milestone row"), count_words(n["counts"], "reported count"),
              count_words(n["claims"], "claim")]
    print(f"{args.data}: clean. {', '.join(counts)}; "
          + (f"known as of {ds.known_as_of}." if ds.known_as_of else f"freeze date {ds.freeze_date}."))
    return EXIT_OK


def _build(args: argparse.Namespace) -> int:
    from attrition.core.engines import cached_tables
    from attrition.core.export import write_tables
    from attrition.io.outputs import check_target

    out = args.out if args.out is not None else Path("build") / args.data.resolve().name
    check_target(out, args.data)
    ds = load_on_engine(args)
    for path in write_tables(ds, out, args.as_of):
        print(f"wrote {path}")
    if ds.engine.dialect == "duckdb" and ds.known_as_of is None:  # on another engine the cache was kept before
        _keep_checked(ds, lambda: cached_tables(ds))                # it read the tables; a replay is not kept
    return EXIT_OK


def _keep_checked(ds, derived: Callable[[], list[str]] | None = None) -> None:
    """Keep the checked tables in the cache, with the `derived` ones (default: the events, which `validate` makes
    as it checks), so that `build` and every command start from there. A cache that cannot be written (no room on
    the disk, or in the engine's memory for the tables kept) only means the next command reads the data files
    again: what the command wrote stands."""
    import duckdb

    from attrition.core.tables import events_table
    from attrition.io.dataset import store_in_cache

    try:
        store_in_cache(ds, derived() if derived is not None else [events_table(ds)])
    except (OSError, duckdb.Error) as err:
        print(f"note: the checked tables could not be kept in the cache ({err}); the next command reads the "
              "data files again", file=sys.stderr)


def _params(args: argparse.Namespace) -> dict:
    skip = {"command", "data", "engine", "format", "name", "reported", "reading", "tolerance", "known_as_of"}
    return {k: v for k, v in vars(args).items() if k not in skip}


def _json(payload: object, **options) -> str:
    """JSON text, indented. JSON has no infinity and no NaN, so an end of a range without a bound (inf) and a
    value that does not exist (NaN: a ratio of two empty windows) are both null, as a claim's open end is."""
    return json.dumps(_finite(payload), indent=2, **options)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _known(ds) -> dict:
    """For JSON output on data as known on a day: the day, and what it leaves out, counted."""
    return {"known_as_of": {"date": ds.known_as_of.isoformat(), **ds.left_out}} if ds.known_as_of else {}


def _metric(args: argparse.Namespace) -> int:
    from attrition.measures.registry import METRICS, compute

    if args.name == "list":
        for m in METRICS.values():
            print(f"{m.usage()}\n    {m.summary}")
        return EXIT_OK
    ds = load_on_engine(args)

    def answer() -> str:
        result = compute(args.name, ds, **_params(args))
        if args.format == "json":
            return _json({**result.to_dict(), **_known(ds)}, sort_keys=True, default=str) + "\n"
        return result.text + "\n"

    print(_answered(ds, args, answer), end="")  # as print: nothing, and no error, where stdout is closed
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from attrition.claims.ledger import check
    from attrition.result import MetricError

    tolerance = None
    if args.tolerance is not None:
        try:
            tolerance = float(args.tolerance)
            if not 0 <= tolerance < float("inf"):
                raise ValueError
        except ValueError:
            raise MetricError(f"--tolerance must be a finite number of zero or more, not {args.tolerance!r}") from None
    if args.reading == "about" and tolerance is None:
        raise MetricError("--reading about needs --tolerance")
    params = _params(args)
    as_of = params.pop("as_of", None)
    ds = load_on_engine(args)

    def answer() -> str:
        result = check(ds, args.name, params, args.reported, args.reading, tolerance, as_of)
        if args.format == "json":
            return _json({**result, **_known(ds)}, sort_keys=True, default=str) + "\n"
        reason = {
            "supported": "the whole range the data gives satisfies the claim",
            "contradicted": "no value in the range the data gives satisfies the claim",
            "uncertain": "part of the range the data gives satisfies the claim and part does not",
            "not_evaluated": result["why"],
        }[result["verdict"]]
        return (f"{result['verdict']}: the claim reads {result['reading']}; the data says {result['measured']} "
                f"({reason}).\n")

    print(_answered(ds, args, answer), end="")  # as print: nothing, and no error, where stdout is closed
    return EXIT_OK


def _answered(ds, args: argparse.Namespace, answer: Callable[[], str]) -> str:
    """What `metric` or `check` prints: kept in the dataset's cache entry once answered, so that asking the same
    question again (every argument the same, the files and the code unchanged) reads it back instead of computing it:
    a fit's second run loads no pandas. On another engine than DuckDB it is always computed, as the claims ledger is:
    that engine is what is asked for; on the data as known on a day, too (a replay is not kept)."""
    from attrition.io import cache

    if ds.engine.dialect != "duckdb" or ds.known_as_of is not None:
        return answer()
    question = [f"{name}={value!r}" for name, value in sorted(vars(args).items()) if name != "engine"]
    return cache.answered(ds.fingerprint, question, answer)


def _claims(args: argparse.Namespace) -> int:
    from attrition.claims.file import claim_problems
    from attrition.claims.ledger import COLUMNS, ledger
    from attrition.core.engines import on_engine

    ds = load(args.data)
    problems = claim_problems(ds)
    if problems:
        raise DataError(problems)
    rows = ledger(on_engine(known(args, ds), args.engine), args.claim)
    if args.format == "csv":
        import pandas as pd

        from attrition.io.outputs import formula_safe

        sys.stdout.write(formula_safe(pd.DataFrame(rows, columns=list(COLUMNS))).to_csv(index=False, lineterminator="\n"))
    elif args.format == "json":
        print(_json(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['verdict'].upper():<13} {row['claim_id']}  ({row['publisher']}, as of {row['as_of']})")
            print(f"{'':14}{row['claim']}")
            if row["verdict"] != "not_evaluated":
                print(f"{'':14}claim: {row['reported']}; data: {row['measured']}")
            else:
                print(f"{'':14}why not: {row['note']}")
            if row["label"] != "not checkable":
                print(f"{'':14}{row['label']} (on sources published by {row['known_then']}: "
                      f"{row['verdict_then'].replace('_', ' ')})")
        counts = {v: sum(row["verdict"] == v for row in rows) for v in ("supported", "contradicted", "uncertain", "not_evaluated")}
        print(", ".join(f"{n} {v}" for v, n in counts.items()))
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from attrition.core.scope import check_scope
    from attrition.site.report import make_report

    ds = load(args.data)
    checked_claims(ds)
    if args.company is not None:
        check_scope(ds, args.company, None)
    index = make_report(known(args, ds), args.data, args.out or Path("site"), args.company, args.notebooks,
                        not args.no_execute)
    print(f"site ready: {index} (open it in a browser; the folder works offline)")
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    if args.kind == "aiwatch":
        from attrition.io.importers.aiwatch import import_aiwatch

        n = import_aiwatch(args.folder, args.out, args.known_as_of)
    else:
        from attrition.io.importers.roster import import_roster

        n = import_roster(args.export, args.mapping, args.out, known_as_of=args.known_as_of)
    words = n["words"]
    print(f"{args.out}: {n['people']:,} {words['people'] if n['people'] != 1 else words['person']} at "
          f"{n['companies']:,} {words['companies'] if n['companies'] != 1 else words['company']}, {n['spells']:,} "
          f"spell{'s' if n['spells'] != 1 else ''} ({n['still_there']:,} still there); check it with: "
          f"attrition validate --data {args.out}")
    return EXIT_OK


COMMANDS = {"validate": _validate, "import": _import, "build": _build, "metric": _metric, "check": _check, "claims": _claims,
            "report": _report}


def _problems(problems: list) -> None:
    """Print the first SHOWN_PROBLEMS problems; write them all to a file in the temporary folder and say where."""
    for problem in problems[:SHOWN_PROBLEMS]:
        print(f"error: {problem}", file=sys.stderr)
    count = f"{len(problems):,} problem(s) found"
    if len(problems) <= SHOWN_PROBLEMS:
        print(f"{count}; nothing was written.", file=sys.stderr)
        return
    where = _errors_file("".join(f"error: {p}\n" for p in problems))
    print(f"{count}; the first {SHOWN_PROBLEMS} are above and all {len(problems):,} in {where} "
          "(nothing was written but that list).", file=sys.stderr)


def _errors_file(text: str) -> Path:
    """ERRORS_FILE in the temporary folder (never a data folder or a checkout), or a file of its own there when
    another user's is in the way."""
    import tempfile

    from attrition.io.outputs import write_atomic

    folder = Path(tempfile.gettempdir())
    try:
        write_atomic(folder / ERRORS_FILE, text.encode("utf-8"))
        return folder / ERRORS_FILE
    except OSError:
        handle, name = tempfile.mkstemp(prefix="attrition-errors-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        return Path(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    from attrition.backends.duckdb import EngineUnavailable
    from attrition.io.outputs import NotebookError, OutputError
    from attrition.result import MetricError

    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="backslashreplace")
    stdout = sys.stdout
    if stdout is not None:  # None: closed (`>&-`), and print prints nothing
        sys.stdout = _Stdout(stdout, OutputError)
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as done:  # --help and --version print, then exit 0: a full disk must still say so
            if not done.code and stdout is not None:
                sys.stdout.flush()
            raise
        code = COMMANDS[args.command](args)
        if stdout is not None:
            sys.stdout.flush()  # so a full disk is reported here, not when Python exits
        return code
    except DataError as err:
        _problems(err.problems)
    except (MetricError, NotebookError, OutputError, EngineUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted; nothing was written.", file=sys.stderr)
    except BrokenPipeError:  # the reader stopped early (`attrition claims | head`): what it read stands
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the final flush cannot fail
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 - the promise is "never a traceback"; tests hunt these down
        print(f"error: unexpected {type(err).__name__}: {err} (please report this; nothing was written)",
              file=sys.stderr)
    finally:
        sys.stdout = stdout
    return EXIT_ERROR


class _Stdout:
    """Standard output, whose failure to write (a full disk: `> /dev/full`) is an error that says so, not an
    unexpected one; a reader that stopped early (BrokenPipeError) is left to `main`."""

    def __init__(self, stream, error: type[Exception]) -> None:
        self._stream, self._error = stream, error

    def write(self, text: str) -> int:
        return self._guarded(self._stream.write, text)

    def flush(self) -> None:
        self._guarded(self._stream.flush)

    def _guarded(self, call, *args):
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as err:
            try:  # what is left unwritten goes nowhere, so Python's last flush cannot fail
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, self._stream.fileno())
                os.close(null)
            except (OSError, ValueError):  # a stream without a file (a test's capture) keeps what it holds
                pass
            raise self._error(f"cannot write to standard output: {err.strerror or err}") from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


if __name__ == "__main__":
    sys.exit(main())
