"""The `attrition` command: validate the data, build tidy tables, print metrics, run the report.

Exit codes: 0 success, 2 bad data, bad arguments or an output that cannot be written, with every
problem printed to stderr and located (file, line, column, value; or the argument). No input
produces a traceback. Heavy libraries are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from attrition.backends.duckdb import ENGINES
from attrition.locations import DEFAULT_DATA_DIR
from attrition.schema import COHORTS, READINGS, DataError


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
WITHOUT_PANDAS = ("validate", "build", "claims")
"""Commands that never load pandas (a test holds them to it): on a small dataset it would be a third of their time.
(`claims` as text or JSON; as CSV it writes through pandas.)"""
SUPPRESS = argparse.SUPPRESS


def _iso_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


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
    parser = argparse.ArgumentParser(prog="attrition", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("validate", parents=[common, engine],
                   help="check every data file and print all problems (with --engine spark: the tables kept as "
                        "Parquet, checked by Spark)")

    build = sub.add_parser("build", parents=[common, engine], help="write the tidy tables as CSV (and cache the data)")
    build.add_argument("--as-of", type=_iso_date, help="as-of date (default: the dataset's freeze date)")
    build.add_argument("--out", type=Path, help="output folder (default: build/<data folder name>)")

    params = argparse.ArgumentParser(add_help=False, argument_default=SUPPRESS)
    params.add_argument("--company")
    params.add_argument("--cohort", choices=COHORTS)
    params.add_argument("--as-of", type=_iso_date)
    params.add_argument("--start", type=_iso_date)
    params.add_argument("--end", type=_iso_date)
    params.add_argument("--exclude", nargs="+", metavar="PERSON_ID")
    params.add_argument("--group", help="only people in this group (a department, office... from people.csv)")
    params.add_argument("--days", help="tenure in days (share_departed_by_tenure)")
    params.add_argument("--at-years", help="compare_labs: years since joining, comma-separated (default 1,2,3)")
    params.add_argument("--person", metavar="PERSON_ID", help="a person (departure_rank, event_date, ...)")
    params.add_argument("--basis", help="hiring metrics: roster (named people) or reported (a published count)")
    params.add_argument("--baseline-start", type=_iso_date, help="rate ratios: start of the window compared with")
    params.add_argument("--baseline-end", type=_iso_date, help="rate ratios: end of the window compared with")
    params.add_argument("--milestone", dest="milestone_id", metavar="MILESTONE_ID", help="a milestone_id")
    params.add_argument("--event", help="event_date: join, leave or step_back; event_rate_ratio: leave or join")
    params.add_argument("--spell", help="event_date: which spell (default 1)")
    params.add_argument("--count-id", help="count_ratio: a count_id from reported_counts.csv")
    params.add_argument("--hours", help="weekly_hours_per_day: hours per week")
    params.add_argument("--affiliation", help="prior_affiliation: an employer or school")
    params.add_argument("--versus-company", help="hazard_ratio: the company whose cohort the group is compared with")
    params.add_argument("--table", help="record_count: people, evidence, sources or conflicts")
    params.add_argument("--censoring", help="how long people still there count: observed (to their last sighting, "
                                            "the default) or freeze (to the as-of day)")
    params.add_argument("--category", help="destination metrics: a moves.csv category (founded, ai_lab, ...)")
    params.add_argument("--to-company", help="destination_count: only those who went to this company of the data")
    params.add_argument("--variant", help="variant_share: a founding-team variant letter from companies.csv, or rule")
    params.add_argument("--versus-cohort", choices=COHORTS, help="hazard_ratio: the cohort the group is compared with")
    params.add_argument("--rate-id", help="base_rate, base_rate_tail: a rate_id from base_rates.csv")
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
    print(f"{args.data}: clean. {n['sources']} sources, {n['people']} people at {len(ds.companies)} companies, "
          f"{n['evidence']} evidence rows ({conflicted_events(ds)} events with conflicting sources), "
          f"{n['milestones']} milestone rows, {n['counts']} reported counts, {n['claims']} claims; "
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
        _keep_checked(ds, cached_tables(ds))                        # it read the tables; a replay is not kept
    return EXIT_OK


def _keep_checked(ds, derived: list[str] | None = None) -> None:
    """Keep the checked tables in the cache, with the `derived` ones (default: the events, which `validate` makes
    as it checks), so that `build` and every command start from there. A cache that cannot be written only means
    the next command reads the data files again."""
    from attrition.core.tables import events_table
    from attrition.io.dataset import store_in_cache

    try:
        store_in_cache(ds, derived if derived is not None else [events_table(ds)])
    except OSError as err:
        print(f"note: the checked tables could not be kept in the cache ({err}); the next command reads the "
              "data files again", file=sys.stderr)


def _params(args: argparse.Namespace) -> dict:
    skip = {"command", "data", "engine", "format", "name", "reported", "reading", "tolerance", "known_as_of"}
    return {k: v for k, v in vars(args).items() if k not in skip}


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
    result = compute(args.name, ds, **_params(args))
    if args.format == "json":
        print(json.dumps({**result.to_dict(), **_known(ds)}, indent=2, sort_keys=True, default=str))
    else:
        print(result.text)
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
    result = check(ds, args.name, params, args.reported, args.reading, tolerance, as_of)
    if args.format == "json":
        print(json.dumps({**result, **_known(ds)}, indent=2, sort_keys=True, default=str))
        return EXIT_OK
    reason = {
        "supported": "the whole range the data gives satisfies the claim",
        "contradicted": "no value in the range the data gives satisfies the claim",
        "uncertain": "part of the range the data gives satisfies the claim and part does not",
        "not_evaluated": result["why"],
    }[result["verdict"]]
    print(f"{result['verdict']}: the claim reads {result['reading']}; the data says {result['measured']} "
          f"({reason}).")
    return EXIT_OK


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
        print(json.dumps(rows, indent=2, ensure_ascii=False))
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
    print(f"{args.out}: {n['people']:,} people at {n['companies']:,} companies, {n['spells']:,} spells "
          f"({n['still_there']:,} still there); check it with: attrition validate --data {args.out}")
    return EXIT_OK


COMMANDS = {"validate": _validate, "import": _import, "build": _build, "metric": _metric, "check": _check, "claims": _claims,
            "report": _report}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    from attrition.backends.duckdb import EngineUnavailable
    from attrition.io.outputs import NotebookError, OutputError
    from attrition.result import MetricError

    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except DataError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(err.problems)} problem(s) found; nothing was written.", file=sys.stderr)
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
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
