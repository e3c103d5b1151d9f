"""The report checks itself: every finding a page states is checked afresh, like a press claim.

Each page's findings (the JSON a notebook cell carries beside its Markdown, and the findings the site's
own pages are written from) name their claims: metric, parameters, reading, reported value. Here each
claim goes through the claims engine (`claims.ledger.check`), which computes the metric again from the
data and applies the reading; a finding stands only if every claim it rests on is supported. The
report refuses to publish a page whose words the data do not bear out, and the site shows every
check on its own page ("What these pages state, checked").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from attrition.claims.file import parse_params
from attrition.claims.ledger import check
from attrition.findings.finding import MIME
from attrition.io.dataset import Dataset
from attrition.io.outputs import NotebookError
from attrition.result import MetricError


@dataclass(frozen=True)
class Checked:
    """One claim of one finding on one page, and what the check found."""

    page: str
    finding: str
    sentence: str
    metric: str
    params: str
    reading: str
    measured: str
    verdict: str
    dataset: str = ""
    tolerance: float | None = None


def notebook_findings(nb) -> list[dict]:
    """The findings a notebook's outputs carry, in page order."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            found.extend(output.get("data", {}).get(MIME, []))
    return found


def check_findings(page: str, findings: Iterable[dict], dataset: Callable[[str], Dataset]) -> list[Checked]:
    """Every claim of every finding on `page` (each finding once, however often the page shows it), checked on
    the dataset it names (`dataset(name)`, "" for the page's)."""
    rows = []
    for finding in {f["id"]: f for f in findings}.values():
        for claim in finding["claims"]:
            try:
                params = parse_params(claim["params"])
                outcome = check(dataset(claim["dataset"]), claim["metric"], params, claim["reported"], claim["reading"],
                                claim["tolerance"], params.get("as_of"))
                verdict, measured = outcome["verdict"], outcome["measured"]
            except (MetricError, ValueError) as err:
                verdict, measured = "not_evaluated", f"the check could not run: {err}"
            rows.append(Checked(page, finding["id"], finding["sentence"], claim["metric"], claim["params"],
                                f"{claim['reading']} {claim['reported']}", measured, verdict, claim["dataset"],
                                claim["tolerance"]))
    return rows


def refuse_unsupported(rows: Iterable[Checked]) -> None:
    """Stop the report (exit 2) on the first finding whose claims the data do not all support."""
    for row in rows:
        if row.verdict != "supported":
            raise NotebookError(f"{row.page}: the finding {row.finding!r} ({row.sentence!r}) is {row.verdict.replace('_', ' ')} "
                                f"by the data: {row.metric} ({row.params}) read as {row.reading!r} measures {row.measured!r}. "
                                "Nothing was published.")


def datasets(ds: Dataset) -> Callable[[str], Dataset]:
    """The datasets a page's claims may name: its own (""), and the open roster imported from its aiwatch/ folder."""
    opened: dict[str, Dataset] = {"": ds}

    def get(name: str) -> Dataset:
        if name not in opened:
            if name != "aiwatch":
                raise MetricError(f"a finding names an unknown dataset {name!r}")
            from attrition.io.importers.aiwatch import open_roster

            opened[name] = open_roster(ds.data_dir / "aiwatch")
        return opened[name]

    return get


def check_pages(ds: Dataset, pages: Iterable[tuple[str, Iterable[dict]]],
                dataset: Callable[[str], Dataset] | None = None) -> list[Checked]:
    """Every finding of every (page, findings) on the dataset `ds` the pages were made from (`dataset`: the datasets
    their claims may name, `datasets(ds)` unless given, to open each once over several calls)."""
    dataset = dataset or datasets(ds)
    return [row for page, findings in pages for row in check_findings(page, findings, dataset)]
