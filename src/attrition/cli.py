"""The `attrition` command: validate the data, build tidy tables, print metrics, run the report.

Exit codes: 0 success, 2 bad data or bad arguments (with every problem printed to stderr).
Heavy libraries (lifelines, seaborn, nbclient) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from attrition import dataset
from attrition.dataset import DEFAULT_DATA_DIR, DataError

EXIT_OK, EXIT_ERROR = 0, 2


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR",
                        help="folder with the data files (default: the repository's data/)")
    parser = argparse.ArgumentParser(prog="attrition", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("validate", parents=[common], help="check every data file and print all problems")

    build = sub.add_parser("build", parents=[common], help="write the tidy tables as CSV")
    build.add_argument("--as-of", type=_iso_date, help="as-of date (default: the dataset's freeze date)")
    build.add_argument("--out", type=Path, help="output folder (default: DATA/processed)")

    metric = sub.add_parser("metric", parents=[common], help="compute one metric, as a range where dates are uncertain")
    metric.add_argument("name", help="metric name, e.g. departed_share")
    metric.add_argument("--company", required=True)
    metric.add_argument("--cohort", choices=dataset.COHORTS)
    metric.add_argument("--as-of", type=_iso_date)
    metric.add_argument("--start", type=_iso_date)
    metric.add_argument("--end", type=_iso_date)
    metric.add_argument("--exclude", nargs="+", default=[], metavar="PERSON_ID")
    metric.add_argument("--days", type=int, help="tenure in days (share_departed_by_tenure)")
    metric.add_argument("--person", metavar="PERSON_ID", help="person (departure_rank, days_before_milestone)")
    metric.add_argument("--basis", choices=("roster", "reported"),
                        help="hiring metrics: named people in the roster, or a count a source reported")
    metric.add_argument("--baseline-start", type=_iso_date, help="hiring_rate_ratio: start of the window compared with")
    metric.add_argument("--baseline-end", type=_iso_date, help="hiring_rate_ratio: end of the window compared with")
    metric.add_argument("--milestone", metavar="MILESTONE_ID", help="days_before_milestone: a milestone_id")
    metric.add_argument("--format", choices=("text", "json"), default="text")

    report = sub.add_parser("report", parents=[common], help="execute the notebooks in order, in place")
    report.add_argument("--notebooks", type=Path, default=None, help="notebook folder (default: notebooks/)")
    return parser


def _validate(ds: dataset.Dataset, args: argparse.Namespace) -> int:
    from attrition.resolve import conflicts

    n_conflicts = conflicts(ds)[["person_id", "company", "spell", "event"]].drop_duplicates().shape[0]
    print(
        f"{args.data}: clean. {len(ds.sources)} sources, {len(ds.people)} people at {len(ds.companies)} companies, "
        f"{len(ds.evidence)} evidence rows ({n_conflicts} events with conflicting sources), "
        f"{len(ds.milestones)} milestone rows, {len(ds.counts)} reported counts; freeze date {ds.freeze_date}."
    )
    return EXIT_OK


def _build(ds: dataset.Dataset, args: argparse.Namespace) -> int:
    from attrition.build import write_tables

    out = args.out if args.out is not None else args.data / "processed"
    for path in write_tables(ds, out, args.as_of):
        print(f"wrote {path}")
    return EXIT_OK


def _metric(ds: dataset.Dataset, args: argparse.Namespace) -> int:
    from attrition.metrics import compute

    result = compute(args.name, ds, company=args.company, cohort=args.cohort, as_of=args.as_of,
                     start=args.start, end=args.end, exclude=args.exclude,
                     days=args.days, person=args.person, basis=args.basis, baseline_start=args.baseline_start,
                     baseline_end=args.baseline_end, milestone_id=args.milestone)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        print(result.text)
    return EXIT_OK


def _report(ds: dataset.Dataset, args: argparse.Namespace) -> int:
    from attrition.report import NOTEBOOK_DIR, execute_notebooks

    execute_notebooks(args.notebooks or NOTEBOOK_DIR)
    return EXIT_OK


COMMANDS = {"validate": _validate, "build": _build, "metric": _metric, "report": _report}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    from attrition.metrics import MetricError
    from attrition.report import NotebookError

    args = _parser().parse_args(argv)
    try:
        ds = dataset.load(args.data)
        return COMMANDS[args.command](ds, args)
    except DataError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(err.problems)} problem(s) found; nothing was written.", file=sys.stderr)
    except (MetricError, NotebookError) as err:
        print(f"error: {err}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
