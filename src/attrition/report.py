"""The report: execute the notebooks in order, in place, and render them with an index as a static site.

Progress is printed per notebook; a failing cell stops the run with the notebook and cell named.
Metadata that varies between machines (cell timings, the Python patch version) is not written.
The site needs no network: images are embedded and no script is fetched from elsewhere. Text from
the data files is escaped, so a name can never become markup.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from attrition.locations import NOTEBOOK_DIR

if TYPE_CHECKING:
    from attrition.dataset import Dataset

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


class NotebookError(RuntimeError):
    """A notebook cell raised; the message names the notebook and the cell."""


def notebook_paths(folder: Path) -> list[Path]:
    """Numbered notebooks (`01_...ipynb`) in reading order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def execute_notebook(path: Path, data_dir: Path | None = None, timeout: int = 600) -> None:
    """Run every cell of one notebook with the standard `python3` kernel on `data_dir` and save it in place."""
    import os

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if data_dir is not None:
        os.environ["ATTRITION_DATA"] = str(Path(data_dir).resolve())
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as err:
        for index, cell in enumerate(nb.cells):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                raise NotebookError(f"{path.name}, cell {index}: {errors[0]['ename']}: {errors[0]['evalue']}") from None
        raise NotebookError(f"{path.name}: {err.ename}: {err.evalue}") from None
    nb.metadata["language_info"] = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def execute_notebooks(folder: Path, data_dir: Path | None = None) -> list[Path]:
    """Execute every numbered notebook in `folder`, printing which one runs and how long it took."""
    paths = notebook_paths(folder)
    if not paths:
        raise NotebookError(f"no numbered notebooks (NN_name.ipynb) in {folder}")
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] executing {path.name} ...", flush=True)
        started = time.perf_counter()
        execute_notebook(path, data_dir)
        print(f"[{i}/{len(paths)}] {path.name} done in {time.perf_counter() - started:.1f} s", flush=True)
    return paths


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
    """The title (first heading) and first paragraph of a notebook's opening markdown cell."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    lines = first.strip().splitlines()
    title = lines[0].lstrip("# ").strip() if lines else path.stem
    paragraph = " ".join(first.split("\n\n")[1].split()) if "\n\n" in first else ""
    return title, paragraph


def render_notebook(path: Path, out_dir: Path) -> Path:
    """One notebook as a self-contained HTML page: outputs and text only, images embedded, no CDN scripts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, mathjax_url="", require_js_url="",
                            embed_images=True)
    body, _ = exporter.from_filename(str(path))
    body = re.sub(r'<script src=""></script>', "", body)
    target = out_dir / f"{path.stem}.html"
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


def index_page(ds: Dataset, pages: list[tuple[Path, Path]]) -> str:
    """The landing page: what the data says about the headline claims, and links to each notebook."""
    from attrition.claims import evaluate

    e = html.escape
    ledger = evaluate(ds)
    seed = ledger[ledger["claim_id"].str.match(r"^c\d")]
    counts = ledger["verdict"].value_counts()
    rows = "\n".join(
        f"<tr><td>{_verdict(r.verdict)}</td><td>{e(r.claim)}<br><span class='meta'>{e(r.publisher)}, as of "
        f"{e(r.as_of)}. Claim: {e(r.reported) or 'not checkable'}. Data: {e(r.measured) or e(r.note)}</span></td></tr>"
        for r in seed.itertuples())
    notebooks = "\n".join(
        f"<li><a href='{e(page.name)}'>{e(notebook_summary(nb)[0])}</a><br><span class='meta'>"
        f"{e(notebook_summary(nb)[1])}</span></li>" for nb, page in pages)
    tally = ", ".join(f"{counts.get(v, 0)} {v.replace('_', ' ')}" for v in VERDICT_COLORS)
    findings = "\n".join(f"<li>{e(sentence)}.</li>" for sentence in headline_findings(ds))
    people = ds.people.groupby("company").size()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>attrition: who leaves founding teams, and what the press gets right</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>attrition</h1>
<p>How founding teams and early hires come and go, and whether the press gets it right. Every number
comes from sourced facts in the project's data files, frozen on <strong>{e(ds.freeze_date.isoformat())}</strong>:
{len(ds.sources)} sources, {len(ds.evidence)} dated statements about {len(ds.people)} people at
{len(people)} companies.</p>
<h2>What the data says</h2>
<ul>
{findings}
</ul>
<h2>The headline claims, checked</h2>
<p>Of {len(ledger)} published claims in the ledger: {e(tally)}. These are the claims of the articles that
started the project; the claims ledger notebook has all of them.</p>
<table><thead><tr><th>Verdict</th><th>Claim</th></tr></thead><tbody>
{rows}
</tbody></table>
<h2>Notebooks</h2>
<ol>
{notebooks}
</ol>
<p class="meta">Verdicts: <em>supported</em> means every value the data allows fits the claim;
<em>contradicted</em>, none does; <em>uncertain</em>, some do; <em>not evaluated</em>, the data cannot
speak to it. Code: MIT; data: CC BY 4.0.</p>
</body></html>
"""


def build_site(ds: Dataset, notebooks: list[Path], out_dir: Path) -> Path:
    """Render every notebook and the index into `out_dir`; returns the index path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = []
    for path in notebooks:
        pages.append((path, render_notebook(path, out_dir)))
        print(f"rendered {path.name} -> {pages[-1][1]}", flush=True)
    index = out_dir / "index.html"
    index.write_text(index_page(ds, pages), encoding="utf-8")
    return index
