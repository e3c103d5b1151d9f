"""The report: execute the notebooks (side by side, one kernel per core), in place, and render them with an index
as a static site.

Progress is printed per notebook, in reading order; a failing cell stops the run with the notebook and cell named.
Cell timings are not written; the notebook metadata is what JupyterLab itself writes (the kernel's
own language_info), so opening a committed notebook leaves `git status` clean. Pages are rendered by
attrition.site.
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from attrition import progress
from attrition.io.outputs import (
    NotebookError,
    exclusive,
    inside,
    replace_folder,
    scratch,
)
from attrition.locations import DEFAULT_DATA_DIR, NOTEBOOK_DIR
from attrition.site.pages import Page, Section, Site
from attrition.site.selfcheck import check_pages, datasets, refuse_unsupported

if TYPE_CHECKING:
    from attrition.io.dataset import Dataset

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


GENERIC = "any_roster.ipynb"
"""The standard roster report, run for any dataset and company."""


def notebook_paths(folder: Path) -> list[Path]:
    """Numbered notebooks (`01_...ipynb`) in reading order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def inject_parameters(nb, parameters: dict[str, object]) -> None:
    """Put `parameters` in a cell after the one tagged `parameters` (as papermill does), so the defaults stay visible."""
    import nbformat

    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    if not tagged:
        raise NotebookError("the notebook has no cell tagged 'parameters' to override")
    source = "# Parameters set by `attrition report`\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    cell.id = "injected-parameters"  # not a random id: every run writes the same notebook and page
    nb.cells.insert(tagged[0] + 1, cell)


def execute_notebook(path: Path, data_dir: Path | None = None, timeout: int = 600,
                     parameters: dict[str, object] | None = None, target: Path | None = None,
                     known_as_of: date | None = None, cell_bar: bool = True) -> Path:
    """Run every cell of one notebook with the standard `python3` kernel on `data_dir` (as known on `known_as_of`,
    if given).

    The result is written to `target` (default: the notebook itself), atomically and only when every
    cell ran, so a failed or killed run never leaves a half-written notebook. `parameters`, if given,
    override the notebook's parameters cell. `cell_bar` draws a progress bar over its cells (on a terminal; not
    when notebooks run side by side).
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    from attrition.io.outputs import write_atomic

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if parameters:
        inject_parameters(nb, parameters)
    target = target or path
    env = dict(os.environ)
    if data_dir is not None:
        env["ATTRITION_DATA"] = str(Path(data_dir).resolve())
    env.pop("ATTRITION_KNOWN_AS_OF", None)
    if known_as_of is not None:
        env["ATTRITION_KNOWN_AS_OF"] = known_as_of.isoformat()
    code = sum(cell.cell_type == "code" for cell in nb.cells)
    with progress.steps(code if cell_bar else 0, path.stem, "cell") as bar, \
            tempfile.TemporaryDirectory(prefix="attrition-kernel-") as sockets:
        # Local sockets in a folder of our own, not TCP: nothing else on the machine can reach the kernel (and it
        # prints no warning about it), and nothing is left behind.
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        client = NotebookClient(nb, km=kernel, timeout=timeout, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(target.parent)}},
                                on_cell_start=lambda cell, cell_index: bar.next(f"cell {cell_index}"))
        _run(client, env, path, nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    write_atomic(target, nbformat.writes(nb).encode("utf-8") + b"\n")
    return target


def _run(client, env: dict, path: Path, nb) -> None:
    """Execute every cell; a failing cell stops the run with the notebook and the cell named."""
    from nbclient.exceptions import CellExecutionError

    try:
        client.execute(env=env)  # the kernel reads `data_dir` by default, whatever this process was started with
    except CellExecutionError as err:
        for index, cell in enumerate(nb.cells):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                raise NotebookError(f"{path.name}, cell {index}: {errors[0]['ename']}: {errors[0]['evalue']}") from None
        raise NotebookError(f"{path.name}: {err.ename}: {err.evalue}") from None


def _story(ds: Dataset) -> bool:
    """Whether the dataset is the one the story notebooks tell (dataset.toml: [report] story = true)."""
    return bool(ds.config.get("report", {}).get("story", False))


def _render(site: Site, staging: Path, notebooks: list[tuple[Path, str]]) -> list[Page]:
    """Render executed notebooks (path, href) once the menu (site.pages) is known."""
    pages = []
    for path, href in notebooks:
        pages.append(site.render_notebook(path, staging, href))
        print(f"rendered {path.name} -> {href}", flush=True)
    return pages


def make_report(ds: Dataset, data_dir: Path, out: Path, company: str | None = None,
                notebooks: Path | None = None, execute: bool = True, examples: bool | None = None) -> Path:
    """Execute and render the report for the dataset in `data_dir` into the site folder `out`.

    The story notebooks (numbered) run only for the dataset they tell, and the standard roster report
    (any_roster.ipynb) for `company` (default: the one with the most people). On the repository's own
    data with the default company, the committed notebooks are executed in place (holding the notebook
    folder's lock); on any other data, or on the data as known on an earlier day (`ds.known_as_of`, which the
    notebooks then load), they run as copies in the site's work folder, so the committed ones never show another
    dataset. Examples listed in dataset.toml ([[report.examples]]) are imported
    first, so that a bad example stops the run before any notebook is written, and get their own
    section; they always run (nothing of theirs is committed), so by default only when `execute` does. The site appears
    whole or not at all, and what a killed run left is cleared by the next.
    """
    from attrition.io.outputs import check_target
    from attrition.measures.overview import default_company

    folder = notebooks or NOTEBOOK_DIR
    own = data_dir.resolve() == DEFAULT_DATA_DIR.resolve() and folder.resolve() == NOTEBOOK_DIR.resolve()
    in_place = own and company is None and ds.known_as_of is None
    if not execute and not in_place:
        raise NotebookError("--no-execute renders the committed notebooks, which show the repository's data; "
                            "leave it out to run the report on other data or another company")
    check_target(out, data_dir)
    story = _story(ds)
    generic = folder / GENERIC
    runs = [*(notebook_paths(folder) if story else []), *([generic] if generic.exists() else [])]
    if not runs:
        raise NotebookError(f"no notebooks to run in {folder}")
    with exclusive(out), (exclusive(folder) if in_place and execute else nullcontext()), \
            replace_folder(out) as staging:
        work = scratch(out, "notebooks-")
        run_examples = (execute if examples is None else examples) and generic.exists()
        imported = [_import_example(i, example, data_dir, work)
                    for i, example in enumerate(ds.config.get("report", {}).get("examples", []) if run_examples else [])]
        chosen = company or default_company(ds)
        rendered, jobs = [], []
        for i, path in enumerate(runs, 1):
            params = None if in_place or path != generic else {"DATA_DIR": str(data_dir.resolve()), "COMPANY": chosen}
            target = path if in_place else work / path.name
            jobs.append(Run(path, data_dir, params, target, f"[{i}/{len(runs)}]", ds.known_as_of))
            rendered.append((target, f"{path.stem}.html"))
        example_runs = [_example_runs(example, folder_of, generic, work) for example, folder_of in imported]
        execute_all([*(jobs if execute else []), *(job for runs_of in example_runs for job in runs_of)])
        site = Site(ds)
        named = (lambda pages: pages) if story else (  # the menu names the company the report is about
            lambda pages: [replace(p, nav=ds.company_names[chosen]) for p in pages])
        site.pages = named([site.describe(path, href) for path, href in rendered])
        site.pages = named(_render(site, staging, rendered))  # now with their charts
        sections = [Section("Notebooks" if story else "The standard report",
                            "The story, chart by chart." if story else
                            "The standard report: who is there, how long people stay, how fast they leave and join.",
                            site.pages)]
        examples_checked = []
        for (example, folder_of), runs_of in zip(imported, example_runs):
            section, example_ds = _example(example, folder_of, runs_of, staging, site)
            sections.append(section)
            examples_checked += check_pages(example_ds, [(p.href, p.findings) for p in section.pages])
        dataset = datasets(ds)
        notebooks_checked = check_pages(ds, [(p.href, p.findings) for p in site.pages], dataset)
        refuse_unsupported([*notebooks_checked, *examples_checked])  # before the pages around the notebooks are made
        site.write_pages(staging, sections, story)
        pages_checked = check_pages(ds, site.findings, dataset)
        checked = [*notebooks_checked, *pages_checked, *examples_checked]
        print(f"checked {len(checked):,} claims behind the findings on {len({c.page for c in checked})} pages", flush=True)
        refuse_unsupported(pages_checked)
        site.write_self_ledger(staging, checked)
        site.write_corrections(staging, checked)
    return out / "index.html"


@dataclass(frozen=True)
class Run:
    """One notebook to execute: `path` run on `data_dir` (as known on `known_as_of`) with `params` injected, into
    `target`; `step` names it in the lines printed."""

    path: Path
    data_dir: Path
    params: dict | None
    target: Path
    step: str
    known_as_of: date | None = None


KERNELS = 4
"""At most this many notebooks run at once (one kernel each, and never more than the machine has cores)."""


def execute_all(runs: list[Run]) -> None:
    """Execute the notebooks side by side, one kernel per core: each is its own process and writes only its own
    file, so what they write does not depend on how many run at once. Progress is printed in the runs' order
    (a notebook is reported once those before it are); the first failure in that order stops the report, and
    notebooks not started by then never start."""
    from concurrent.futures import ThreadPoolExecutor

    kernels = max(1, min(len(runs), os.cpu_count() or 1, KERNELS))
    with ThreadPoolExecutor(kernels) as pool:
        futures = [pool.submit(_timed, run, kernels == 1) for run in runs]
        try:
            for run, future in zip(runs, futures):
                print(f"{run.step} executing {run.path.name} ...", flush=True)
                print(f"{run.step} {run.path.name} done in {future.result():.1f} s", flush=True)
        finally:
            for future in futures:
                future.cancel()


def _timed(run: Run, cell_bar: bool) -> float:
    started = time.perf_counter()
    execute_notebook(run.path, run.data_dir, parameters=run.params, target=run.target, known_as_of=run.known_as_of,
                     cell_bar=cell_bar)
    return time.perf_counter() - started


def _import_example(index: int, example: dict, data_dir: Path, work: Path) -> tuple[dict, Path]:
    """Import one example roster named in dataset.toml (checked by attrition.io.config) into the work folder;
    a company it names that the roster lacks is refused here, before any notebook runs."""
    from attrition.io.config import CONFIG_FILE, locate
    from attrition.io.dataset import load
    from attrition.io.importers.roster import import_roster
    from attrition.schema import DataError, Problem

    imported = inside(work, f"examples/{example['name']}")
    import_roster(data_dir / example["export"], data_dir / example["mapping"], imported)
    companies = load(imported).companies
    missing = [c for c in example["companies"] if c not in companies]
    if missing:
        lines = (data_dir / CONFIG_FILE).read_text(encoding="utf-8-sig").splitlines()
        raise DataError([Problem(CONFIG_FILE, locate(lines, ("report", "examples", index, "companies")),
                                 f"report.examples[{index + 1}].companies", company,
                                 f"no such company in the imported roster; it has: {', '.join(companies)}")
                         for company in missing])
    return example, imported


def _example_runs(example: dict, imported: Path, generic: Path, work: Path) -> list[Run]:
    """The standard report's runs for each company of an imported example roster."""
    return [Run(generic, imported, {"DATA_DIR": str(imported), "COMPANY": company},
                inside(work, f"{example['name']}-{company}.ipynb"), f"[{example['name']}: {company}]")
            for company in example["companies"]]


def _example(example: dict, imported: Path, runs: list[Run], staging: Path, home: Site) -> tuple[Section, Dataset]:
    """An imported example roster's executed reports as pages under its name; returns its section of the index and
    the dataset its findings are checked on."""
    from attrition.io.dataset import load

    name = example["name"]
    site = Site(load(imported), home.pages, home.ds)  # its own dates and licence, the main site's name and menu
    pages = [(run.target, f"{name}/{run.params['COMPANY']}.html") for run in runs]
    return Section(str(example["title"]), str(example.get("intro", "")), _render(site, staging, pages)), site.ds
