"""The report: execute the notebooks in order, in place, and render them with an index as a static site.

Progress is printed per notebook; a failing cell stops the run with the notebook and cell named.
Cell timings are not written; the notebook metadata is what JupyterLab itself writes (the kernel's
own language_info), so opening a committed notebook leaves `git status` clean. Pages are rendered by
attrition.site.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from attrition import progress
from attrition.io.outputs import NotebookError, exclusive, replace_folder
from attrition.locations import DEFAULT_DATA_DIR, NOTEBOOK_DIR
from attrition.schema import DataError, Problem
from attrition.site.pages import Page, Section, Site
from attrition.site.selfcheck import check_pages, refuse_unsupported

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
    nb.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]}))


def execute_notebook(path: Path, data_dir: Path | None = None, timeout: int = 600,
                     parameters: dict[str, object] | None = None, target: Path | None = None) -> Path:
    """Run every cell of one notebook with the standard `python3` kernel on `data_dir`.

    The result is written to `target` (default: the notebook itself), atomically and only when every
    cell ran, so a failed or killed run never leaves a half-written notebook. `parameters`, if given,
    override the notebook's parameters cell.
    """
    import os

    import nbformat
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
    code = sum(cell.cell_type == "code" for cell in nb.cells)
    with progress.steps(code, path.stem, "cell") as bar:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
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
                notebooks: Path | None = None, execute: bool = True) -> Path:
    """Execute and render the report for the dataset in `data_dir` into the site folder `out`.

    The story notebooks (numbered) run only for the dataset they tell, and the standard roster report
    (any_roster.ipynb) for `company` (default: the one with the most people). On the repository's own
    data with the default company, the committed notebooks are executed in place; on any other data
    they run as temporary copies, so the committed ones never show another dataset. Examples listed in
    dataset.toml ([[report.examples]]) are imported and get their own section. The site appears whole
    or not at all.
    """
    from attrition.io.outputs import check_target
    from attrition.measures.overview import default_company

    folder = notebooks or NOTEBOOK_DIR
    own = data_dir.resolve() == DEFAULT_DATA_DIR.resolve() and folder.resolve() == NOTEBOOK_DIR.resolve()
    in_place = own and company is None
    if not execute and not in_place:
        raise NotebookError("--no-execute renders the committed notebooks, which show the repository's data; "
                            "leave it out to run the report on other data or another company")
    check_target(out, data_dir)
    story = _story(ds)
    generic = folder / GENERIC
    with exclusive(out), replace_folder(out) as staging, tempfile.TemporaryDirectory() as work:
        scratch = Path(work)
        chosen = company or default_company(ds)
        runs = [*(notebook_paths(folder) if story else []), *([generic] if generic.exists() else [])]
        if not runs:
            raise NotebookError(f"no notebooks to run in {folder}")
        rendered = []
        for i, path in enumerate(runs, 1):
            params = None if in_place or path != generic else {"DATA_DIR": str(data_dir.resolve()), "COMPANY": chosen}
            target = path if in_place else scratch / path.name
            if execute:
                _execute(path, data_dir, params, target, f"[{i}/{len(runs)}]")
            rendered.append((target, f"{path.stem}.html"))
        site = Site(ds)
        named = (lambda pages: pages) if story else (  # the menu names the company the report is about
            lambda pages: [replace(p, nav=ds.company_names[chosen]) for p in pages])
        site.pages = named([site.describe(path, href) for path, href in rendered])
        site.pages = named(_render(site, staging, rendered))  # now with their share cards
        sections = [Section("Notebooks" if story else "The standard report",
                            "The story, chart by chart." if story else
                            "The standard report: who is there, how long people stay, how fast they leave and join.",
                            site.pages)]
        checked = []
        for example in ds.config.get("report", {}).get("examples", []) if execute and generic.exists() else []:
            section, example_ds = _example(example, data_dir, generic, staging, scratch, site)
            sections.append(section)
            checked += check_pages(example_ds, [(p.href, p.findings) for p in section.pages])
        site.write_pages(staging, sections, story)
        checked = check_pages(ds, [*((p.href, p.findings) for p in site.pages), *site.findings]) + checked
        print(f"checked {len(checked):,} claims behind the findings on {len({c.page for c in checked})} pages", flush=True)
        refuse_unsupported(checked)
        site.write_self_ledger(staging, checked)
        site.write_corrections(staging, checked)
    return out / "index.html"


def _execute(path: Path, data_dir: Path, params: dict | None, target: Path, step: str) -> None:
    print(f"{step} executing {path.name} ...", flush=True)
    started = time.perf_counter()
    execute_notebook(path, data_dir, parameters=params, target=target)
    print(f"{step} {path.name} done in {time.perf_counter() - started:.1f} s", flush=True)


def _example(example: dict, data_dir: Path, generic: Path, staging: Path, scratch: Path,
             home: Site) -> tuple[Section, Dataset]:
    """Import one example roster named in dataset.toml and run the standard report for each of its companies;
    returns its section of the index and the dataset its findings are checked on."""
    from attrition.io.dataset import load
    from attrition.io.importers.roster import import_roster

    missing = [k for k in ("name", "title", "export", "mapping", "companies") if k not in example]
    if missing:
        raise DataError([Problem("dataset.toml", None, "report.examples", None,
                                 f"each [[report.examples]] needs {', '.join(missing)}")])
    name = str(example["name"])
    imported = scratch / name
    import_roster(data_dir / example["export"], data_dir / example["mapping"], imported)
    site = Site(load(imported), home.pages, home.ds)  # its own dates and licence, the main site's name and menu
    runs = []
    for company in example["companies"]:
        target = scratch / f"{name}-{company}.ipynb"
        _execute(generic, imported, {"DATA_DIR": str(imported), "COMPANY": company}, target, f"[{name}]")
        runs.append((target, f"{name}/{company}.html"))
    return Section(str(example["title"]), str(example.get("intro", "")), _render(site, staging, runs)), site.ds
