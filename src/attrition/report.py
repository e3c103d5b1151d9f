"""The report: execute the notebooks in order, in place, and render them with an index as a static site.

Progress is printed per notebook; a failing cell stops the run with the notebook and cell named.
Metadata that varies between machines (cell timings, the Python patch version) is not written.
The site needs no network: images are embedded and no script is fetched from elsewhere. Text from
the data files is escaped, so a name can never become markup.
"""

from __future__ import annotations

import html
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from attrition.locations import DEFAULT_DATA_DIR, NOTEBOOK_DIR
from attrition.outputs import exclusive, replace_folder
from attrition.schema import DataError, Problem

if TYPE_CHECKING:
    from attrition.dataset import Dataset

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


GENERIC = "any_roster.ipynb"
"""The standard roster report, run for any dataset and company."""


class NotebookError(RuntimeError):
    """A notebook cell raised; the message names the notebook and the cell."""


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
    from nbclient.exceptions import CellExecutionError

    from attrition.outputs import write_atomic

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if parameters:
        inject_parameters(nb, parameters)
    target = target or path
    env = dict(os.environ)
    if data_dir is not None:
        env["ATTRITION_DATA"] = str(Path(data_dir).resolve())
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(target.parent)}})
    try:
        client.execute(env=env)  # the kernel reads `data_dir` by default, whatever this process was started with
    except CellExecutionError as err:
        for index, cell in enumerate(nb.cells):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                raise NotebookError(f"{path.name}, cell {index}: {errors[0]['ename']}: {errors[0]['evalue']}") from None
        raise NotebookError(f"{path.name}: {err.ename}: {err.evalue}") from None
    nb.metadata["language_info"] = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    write_atomic(target, nbformat.writes(nb).encode("utf-8") + b"\n")
    return target


VERDICT_COLORS = {"supported": "#1e8449", "contradicted": "#c0392b", "uncertain": "#b9770e", "not_evaluated": "#7f8c8d"}
STYLE = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; line-height: 1.5; }
h1 { font-size: 1.8rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid #eee; vertical-align: top; }
.verdict { font-weight: bold; color: white; padding: 0.1rem 0.4rem; border-radius: 0.2rem; white-space: nowrap; }
.meta { color: #555; }
"""


def notebook_summary(path: Path) -> tuple[str, str]:
    """The title and first paragraph a notebook opens with, for the index.

    A notebook whose cell tagged `headline` printed Markdown (the standard roster report) is
    summed up by that output: its heading and its first sentence, computed for the data it ran on.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "headline" in cell.metadata.get("tags", []):
            shown = [o["data"]["text/markdown"] for o in cell.get("outputs", []) if "text/markdown" in o.get("data", {})]
            if shown:
                heading, _, rest = shown[0].partition("\n\n")
                return heading.lstrip("# ").strip(), " ".join(rest.replace("**", "").split())
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    lines = first.strip().splitlines()
    title = lines[0].lstrip("# ").strip() if lines else path.stem
    paragraph = " ".join(first.split("\n\n")[1].split()) if "\n\n" in first else ""
    return title, paragraph


def render_notebook(path: Path, out_dir: Path, name: str | None = None) -> Path:
    """One notebook as a self-contained HTML page: outputs and text only, images embedded, no CDN scripts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, mathjax_url="", require_js_url="",
                            embed_images=True)
    body, _ = exporter.from_filename(str(path))
    body = re.sub(r'<script src=""></script>', "", body)
    target = out_dir / f"{name or path.stem}.html"
    target.write_text(body, encoding="utf-8")
    return target


def _verdict(v: str) -> str:
    return f'<span class="verdict" style="background:{VERDICT_COLORS[v]}">{html.escape(v.replace("_", " "))}</span>'


def headline_findings(ds: Dataset) -> list[str]:
    """The project's main findings as sentences, each computed by the package, for the index page.

    They are about xAI; a dataset without xAI (a reader's own) gets none.
    """
    from attrition import metrics, peers
    from attrition.hiring import days_per_hire
    from attrition.registry import compute

    if "xai" not in ds.companies:
        return []
    findings = [
        metrics.departed_share(ds, "xai", "founder").text,
        metrics.departed_share(ds, "xai", "founder", as_of="2026-02-11").text
        + "; without Elon Musk in the team: " + metrics.departed_share(ds, "xai", "founder", as_of="2026-02-11",
                                                                      exclude=["elon-musk"]).text,
        compute("median_tenure", ds, company="xai", cohort="founder").text,
        days_per_hire(ds, "xai", "2024-02-01", "2024-03-31", basis="reported").text,
    ]
    ranked = peers.rank_ranges(peers.lab_table(ds, at_years=(3,)), "gone_3y").set_index("company")
    if "xai" in ranked.index:
        x = ranked.loc["xai"]
        findings.append(
            f"Among {len(ranked)} AI labs old enough to compare, xAI ranks {x['rank']} of {len(ranked)} for the share of founders "
            f"gone within three years of joining ({x['gone_3y']:.0%}, 95% interval {x['gone_3y_ci_lower']:.0%} to "
            f"{x['gone_3y_ci_upper']:.0%}); with teams this small, the intervals allow ranks {x['rank_best']} to "
            f"{x['rank_worst']}")
    return findings


@dataclass(frozen=True)
class Page:
    """One rendered notebook: where its HTML is (relative to the site) and what it is about."""

    notebook: Path
    href: str
    title: str
    summary: str


@dataclass
class Section:
    """A group of pages on the index: the dataset's own, or an imported example roster's."""

    heading: str
    intro: str
    pages: list[Page] = field(default_factory=list)


def _section_html(section: Section) -> str:
    e = html.escape
    items = "\n".join(f"<li><a href='{e(p.href)}'>{e(p.title)}</a><br><span class='meta'>{e(p.summary)}</span></li>"
                      for p in section.pages)
    return f"<h2>{e(section.heading)}</h2>\n<p>{e(section.intro)}</p>\n<ol>\n{items}\n</ol>"


def index_page(ds: Dataset, sections: list[Section], story: bool = True) -> str:
    """The landing page: what the data says, the claims checked (for the story data), and every page."""
    from attrition.claims import evaluate

    e = html.escape
    people = ds.people.groupby("company").size()
    intro = (f"Every number comes from the dataset's files, frozen on <strong>{e(ds.freeze_date.isoformat())}</strong>: "
             f"{len(ds.sources):,} sources, {len(ds.evidence):,} dated statements about {len(ds.people):,} people at "
             f"{len(people):,} companies.")
    claims = ""
    if story:
        ledger = evaluate(ds)
        seed = ledger[ledger["claim_id"].str.match(r"^c\d")]
        counts = ledger["verdict"].value_counts()
        rows = "\n".join(
            f"<tr><td>{_verdict(r.verdict)}</td><td>{e(r.claim)}<br><span class='meta'>{e(r.publisher)}, as of "
            f"{e(r.as_of)}. Claim: {e(r.reported) or 'not checkable'}. Data: {e(r.measured) or e(r.note)}</span></td></tr>"
            for r in seed.itertuples())
        tally = ", ".join(f"{counts.get(v, 0)} {v.replace('_', ' ')}" for v in VERDICT_COLORS)
        findings = "\n".join(f"<li>{e(sentence)}.</li>" for sentence in headline_findings(ds))
        claims = f"""<h2>What the data says</h2>
<ul>
{findings}
</ul>
<h2>The headline claims, checked</h2>
<p>Of {len(ledger)} published claims in the ledger: {e(tally)}. These are the claims of the articles that
started the project; the claims ledger notebook has all of them.</p>
<table><thead><tr><th>Verdict</th><th>Claim</th></tr></thead><tbody>
{rows}
</tbody></table>"""
    body = "\n".join(_section_html(s) for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>attrition: who leaves founding teams, and what the press gets right</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>attrition</h1>
<p>How founding teams and early hires come and go, and whether the press gets it right. {intro}</p>
{claims}
{body}
<p class="meta">Verdicts: <em>supported</em> means every value the data allows fits the claim;
<em>contradicted</em>, none does; <em>uncertain</em>, some do; <em>not evaluated</em>, the data cannot
speak to it. Code: MIT; data: CC BY 4.0.</p>
</body></html>
"""


def _page(notebook: Path, out_dir: Path, site: Path, name: str | None = None) -> Page:
    rendered = render_notebook(notebook, out_dir, name)
    title, summary = notebook_summary(notebook)
    print(f"rendered {notebook.name} -> {rendered.relative_to(site)}", flush=True)
    return Page(notebook, rendered.relative_to(site).as_posix(), title, summary)


def build_site(ds: Dataset, notebooks: list[Path], out_dir: Path) -> Path:
    """Render `notebooks` as they are, and an index, into `out_dir` (replaced whole); returns the index path."""
    with exclusive(out_dir), replace_folder(out_dir) as staging:
        pages = [_page(path, staging, staging) for path in notebooks]
        section = Section("Notebooks", "The story, chart by chart.", pages)
        (staging / "index.html").write_text(index_page(ds, [section], _story(ds)), encoding="utf-8")
    return out_dir / "index.html"


def _story(ds: Dataset) -> bool:
    """Whether the dataset is the one the story notebooks tell (dataset.toml: [report] story = true)."""
    return bool(ds.config.get("report", {}).get("story", False))


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
    from attrition.outputs import check_target
    from attrition.overview import default_company

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
        sections = [Section("Notebooks" if story else f"The report on {data_dir.name}",
                            "The story, chart by chart." if story else
                            "The standard report: who is there, how long people stay, how fast they leave and join.")]
        chosen = company or default_company(ds)
        runs = [*(notebook_paths(folder) if story else []), *([generic] if generic.exists() else [])]
        if not runs:
            raise NotebookError(f"no notebooks to run in {folder}")
        for i, path in enumerate(runs, 1):
            params = None if in_place or path != generic else {"DATA_DIR": str(data_dir.resolve()), "COMPANY": chosen}
            target = path if in_place else scratch / path.name
            if execute:
                _execute(path, data_dir, params, target, f"[{i}/{len(runs)}]")
            sections[0].pages.append(_page(target, staging, staging))
        for example in ds.config.get("report", {}).get("examples", []) if execute else []:
            sections.append(_example(example, data_dir, generic, staging, scratch))
        (staging / "index.html").write_text(index_page(ds, sections, story), encoding="utf-8")
    return out / "index.html"


def _execute(path: Path, data_dir: Path, params: dict | None, target: Path, step: str) -> None:
    print(f"{step} executing {path.name} ...", flush=True)
    started = time.perf_counter()
    execute_notebook(path, data_dir, parameters=params, target=target)
    print(f"{step} {path.name} done in {time.perf_counter() - started:.1f} s", flush=True)


def _example(example: dict, data_dir: Path, generic: Path, staging: Path, scratch: Path) -> Section:
    """Import one example roster named in dataset.toml and run the standard report for each of its companies."""
    from attrition.roster_import import import_roster

    missing = [k for k in ("name", "title", "export", "mapping", "companies") if k not in example]
    if missing:
        raise DataError([Problem("dataset.toml", None, "report.examples", None,
                                 f"each [[report.examples]] needs {', '.join(missing)}")])
    name = str(example["name"])
    imported = scratch / name
    import_roster(data_dir / example["export"], data_dir / example["mapping"], imported)
    section = Section(str(example["title"]), str(example.get("intro", "")))
    (staging / name).mkdir()
    for company in example["companies"]:
        target = scratch / f"{name}-{company}.ipynb"
        _execute(generic, imported, {"DATA_DIR": str(imported), "COMPANY": company}, target, f"[{name}]")
        section.pages.append(_page(target, staging / name, staging, company))
    return section
