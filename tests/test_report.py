"""The rendered report: deterministic notebooks, escaped text, a site that works offline in a browser."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import write_dataset

from attrition import load
from attrition.cli import main
from attrition.locations import DEFAULT_DATA_DIR, REPO_ROOT
from attrition.site.report import (
    NOTEBOOK_DIR,
    execute_notebook,
    make_report,
    notebook_paths,
)

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def _outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return json.dumps([c.get("outputs", []) for c in nb.cells], sort_keys=True)


def test_executing_twice_gives_identical_outputs(tmp_path) -> None:
    runs = []
    for i in range(2):
        copy = tmp_path / f"run{i}" / "01_roster.ipynb"
        copy.parent.mkdir()
        shutil.copy(NOTEBOOK_DIR / "01_roster.ipynb", copy)
        execute_notebook(copy)
        runs.append(_outputs(copy))
    assert runs[0] == runs[1]
    assert runs[0] == _outputs(NOTEBOOK_DIR / "01_roster.ipynb"), "committed outputs are stale: run make report"
    assert not re.search(r"0x[0-9a-f]{6,}|/tmp/|/work/", runs[0]), "outputs must not show addresses or paths"


def test_notebooks_declare_the_standard_kernel() -> None:
    for path in notebook_paths(NOTEBOOK_DIR):
        assert nbformat.read(path, as_version=4).metadata.kernelspec.name == "python3", path.name


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    make_report(load(), DEFAULT_DATA_DIR, out, execute=False)
    return out


SITE_PAGES = ["sources.html", "methodology.html", "changes.html", "findings.html", "downloads.html"]


def test_site_has_an_index_one_page_per_notebook_and_the_pages_around_them(site) -> None:
    notebook_pages = [f"{p.stem}.html" for p in notebook_paths(NOTEBOOK_DIR)] + ["any_roster.html"]
    assert sorted(p.name for p in site.glob("*.html")) == sorted(["index.html", *notebook_pages, *SITE_PAGES])
    for page in ["index.html", *notebook_pages, *SITE_PAGES]:
        text = (site / page).read_text()
        for target in [*notebook_pages, *SITE_PAGES]:
            assert f'href="{target}"' in text, f"{page} has no menu link to {target}"
        assert "Data as of <strong>2026-11-22</strong>" in text and "Cite as:" in text, page
    people = load().people["person_id"].unique()
    assert sorted(p.stem for p in (site / "people").glob("*.html")) == sorted(people)


def test_every_page_has_a_title_description_and_share_card(site) -> None:
    """A shared link shows a preview: the notebook pages and the index carry their first chart as og:image."""
    for page in site.rglob("*.html"):
        text = page.read_text()
        title = re.search(r"<title>(.*?)</title>", text).group(1)
        assert title.endswith("· attrition") and not re.match(r"\d\d_", title), page.name
        meta = {}
        for tag in re.findall(r"<meta [^>]*>", text):
            prop, content = re.search(r'property="([^"]+)"', tag), re.search(r'content="([^"]*)"', tag)
            if prop and content:
                meta[prop.group(1)] = content.group(1)
        assert len(meta.get("og:description", "")) >= 20 and meta.get("og:title"), page.name
        if page.parent == site and (page.name[:2].isdigit() or page.name == "index.html"):
            assert meta.get("og:image"), f"{page.name} has no share card"
            assert (page.parent / meta["og:image"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_site_fetches_nothing_from_the_network(site) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert not re.search(r"""<(script|link|img|source)[^>]+(src|href|srcset)=["']?https?://""", text), page.name
        assert "javascript:" not in text, page.name
        if page.parent == site and page.name[:2].isdigit():
            assert "data:image/png;base64," in text


def test_index_escapes_text_from_the_data(tmp_path) -> None:
    from attrition.site.pages import Site

    folder = write_dataset(tmp_path / "data")
    (folder / "dataset.toml").write_text('[dataset]\nfreeze_date = "2025-12-31"\n[report]\nstory = true\n'
                                         'headline_claims = ["c1"]\n', encoding="utf-8")
    (folder / "claims.csv").write_text(
        "claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note\n"
        "c1,s3,<script>alert(1)</script> left,2022-06-01,departed_share,company=acme,0.5,exact,,\n", encoding="utf-8")
    (tmp_path / "site").mkdir()
    Site(load(folder)).write_pages(tmp_path / "site", [], story=True)
    page = (tmp_path / "site" / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; left" in page and "<script>alert(1)" not in page
    assert '04_claims_ledger.html#claim-c1"' in page, "a headline claim links to its ledger row"


def test_notebook_pages_escape_names_from_the_data(tmp_path, monkeypatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "data", data, ignore=shutil.ignore_patterns("processed"))
    people = data / "people.csv"
    people.write_text(people.read_text(encoding="utf-8")
                      .replace("Juntang Zhuang", "<script>alert(1)</script>")
                      .replace("Kyle Kosic", "[Kyle](javascript:alert(1)) ![x](https://example.org/x.png)"),
                      encoding="utf-8")
    notebook = tmp_path / "nb" / "01_roster.ipynb"
    notebook.parent.mkdir()
    shutil.copy(NOTEBOOK_DIR / "01_roster.ipynb", notebook)
    html = make_report(load(data), data, tmp_path / "site", notebooks=notebook.parent).with_name("01_roster.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "javascript:" in html and not re.search(r"""href=["']javascript:""", html), "a link in a name stays text"
    assert not re.search(r"""<img[^>]+src=["']https://example.org""", html), "an image in a name stays text"


def test_report_without_execution_prints_where_the_site_is(tmp_path, capsys) -> None:
    assert main(["report", "--no-execute", "--out", str(tmp_path / "site")]) == 0
    assert f"site ready: {tmp_path / 'site' / 'index.html'}" in capsys.readouterr().out


LOOK = r"""
const ids = new Set(arguments[0]);
const out = {overflow: [], unlinked: [], bad: [], images: [], right: []};
const width = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth > width + 1) out.overflow.push("page " + document.documentElement.scrollWidth);
document.querySelectorAll("p, li, td, th, h1, h2, h3, dd, span, a, label").forEach(e => {
  const r = e.getBoundingClientRect();
  if (r.width && r.right > width + 1 && !e.closest(".table-wrap") && !e.closest(".jp-RenderedImage"))
    out.overflow.push(e.tagName + ": " + e.textContent.slice(0, 40));
});
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  if (node.parentElement.closest("a, code, script, style, option")) continue;
  for (const word of node.textContent.split(/[\s,;()]+/)) if (ids.has(word)) out.unlinked.push(word);
}
document.querySelectorAll("[src], [href], [srcset]").forEach(e => {
  for (const attr of ["src", "href", "srcset"]) {
    const v = (e.getAttribute(attr) || "").trim().toLowerCase();
    if (v.startsWith("javascript:") || (/^(https?:)?\/\//.test(v) && e.tagName !== "A")) out.bad.push(e.tagName + " " + v);
  }
});
document.querySelectorAll("img").forEach(i => out.images.push([i.complete, i.naturalWidth, i.alt]));
document.querySelectorAll("td:not(.num), th").forEach(c => {
  if (getComputedStyle(c).textAlign === "right") out.right.push(c.textContent.slice(0, 40));
});
return out;
"""


def _browser(width: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"):
        options.add_argument(flag)
    if width < 600:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 1}})
    else:
        options.add_argument(f"--window-size={width},900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                    reason="headless Chromium not installed (apt-get install chromium chromium-driver; .ci/run does)")
@pytest.mark.parametrize("width", [1280, 390])
def test_pages_read_well_in_a_browser_on_desktop_and_phone(site, width) -> None:
    """No text runs off the screen, every source id is a link, nothing is fetched and no script link
    exists, every chart loads with alt text, and no console error, at desktop and phone width."""
    ds = load()
    ids = [s for s in ds.sources["source_id"] if any(ch.isdigit() for ch in s)]
    person = sorted((site / "people").glob("*.html"))[0].relative_to(site).as_posix()
    driver = _browser(width)
    try:
        for page in ("index.html", "01_roster.html", "02_founder_survival.html", "04_claims_ledger.html",
                     "05_peer_labs.html", "06_talent_flows.html", "sources.html", person):
            driver.get((site / page).as_uri())
            assert driver.execute_script("return document.documentElement.clientWidth") == width, page
            seen = driver.execute_script(LOOK, ids)
            assert seen["overflow"] == [], f"{page} at {width} px: text runs off the screen: {seen['overflow'][:5]}"
            assert seen["unlinked"] == [], f"{page}: source ids shown without a link: {seen['unlinked'][:5]}"
            assert seen["bad"] == [], f"{page}: remote resource or script link: {seen['bad'][:5]}"
            assert seen["right"] == [], f"{page}: text set flush right: {seen['right'][:5]}"
            assert all(done and w > 0 and alt and "No description" not in alt for done, w, alt in seen["images"]), page
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], f"{page}: console errors {errors}"
            assert driver.title.endswith("attrition"), page
    finally:
        driver.quit()


def test_tables_on_the_site_are_whole_and_plain(site) -> None:
    """No table is cut short or shows pandas leftovers (an index, snake_case headers, a rows-by-columns
    footer); every date cell is kept on one line; 01's evidence table has every xAI statement."""
    date = re.compile(r"^\d{4}-\d{2}")
    tables = 0
    for page in sorted(site.glob("0*.html")):
        text = page.read_text()
        assert "class=\"dataframe\"" not in text and "rows ×" not in text, page.name
        for table in re.findall(r"<table class=.readable.*?</table>", text, flags=re.S):
            tables += 1
            headers = re.findall(r"<th scope=.col.>(.*?)</th>", table)
            assert headers and all(h and not re.fullmatch(r"[a-z]+(_[a-z]+)+", h) for h in headers), (page.name, headers)
            for before, after, cell in re.findall(r"<td([^>]*)data-label=.[^'\"]*.([^>]*)>(.*?)</td>", table, flags=re.S):
                if date.match(cell):
                    assert "nowrap" in before + after, f"{page.name}: date cell {cell!r} may break across lines"
    assert tables > 10
    ds = load()
    roster = (site / "01_roster.html").read_text()
    evidence = re.search(r"data-name=.evidence.>.*?</table>", roster, flags=re.S).group(0)
    assert evidence.count("<tr>") - 1 == (ds.evidence["company"] == "xai").sum()


def test_every_link_inside_the_site_has_a_target(site) -> None:
    """Source links reach an entry on the sources page, claim links a ledger row, person links a page."""
    anchors = {}
    for page in site.rglob("*.html"):
        anchors[page.relative_to(site).as_posix()] = set(re.findall(r"""id=["']([^"']+)["']""", page.read_text()))
    for page in site.rglob("*.html"):
        here = page.parent.relative_to(site)
        for href in re.findall(r"""href=["'](?!https?:)([^"'#]*\.html)(?:#([^"']*))?["']""", page.read_text()):
            path, anchor = href
            target = posixpath.normpath((here / path).as_posix())
            assert target in anchors, f"{page.name} links to missing page {target}"
            assert not anchor or anchor in anchors[target], f"{page.name} links to missing anchor {target}#{anchor}"


@pytest.fixture(scope="module")
def private(tmp_path_factory) -> tuple[Path, Path]:
    """A private HR register (late entry, returns, reasons sorted) imported and reported on: (data, site)."""
    from attrition.dev.synthetic import REGISTER_MAPPING, write_hr_export
    from attrition.io.importers.roster import import_roster

    tmp_path = tmp_path_factory.mktemp("private")
    export = write_hr_export(tmp_path / "in" / "hr.csv", 600, n_companies=2, seed=5, register_from="2016-01-01")
    (tmp_path / "in" / "mapping.toml").write_text(REGISTER_MAPPING)
    import_roster(export, tmp_path / "in" / "mapping.toml", tmp_path / "hr")
    committed = {p: p.read_bytes() for p in NOTEBOOK_DIR.glob("*.ipynb")}
    assert main(["report", "--data", str(tmp_path / "hr"), "--company", "company-0002", "--out", str(tmp_path / "site")]) == 0
    assert {p: p.read_bytes() for p in NOTEBOOK_DIR.glob("*.ipynb")} == committed, "committed notebooks untouched"
    return tmp_path / "hr", tmp_path / "site"


def _text(page: Path) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page.read_text())


def test_report_on_an_imported_roster_uses_only_that_roster(private, tmp_path, capsys) -> None:
    data, site = private
    pages = sorted(p.name for p in site.glob("*.html"))
    assert pages == sorted(["any_roster.html", "index.html", *SITE_PAGES]), "no story notebook runs on another dataset"
    assert not (site / "people").exists(), "no page names a person of an imported roster"
    report = (site / "any_roster.html").read_text()
    assert "Company 0002" in report and "employees" in report
    shipped = load()
    for page in site.glob("*.html"):
        text = _text(page)
        for name in [*shipped.company_names.values(), "Musk", "founders who"]:
            assert name not in text, f"{page.name} shows {name!r} from the shipped data"
    assert "Company 0002" in (site / "index.html").read_text()
    assert main(["report", "--data", str(data), "--no-execute", "--out", str(tmp_path / "s2")]) == 2
    assert "--no-execute renders the committed notebooks" in capsys.readouterr().err
    assert main(["report", "--data", str(data), "--company", "nobody", "--out", str(tmp_path / "s3")]) == 2
    assert main(["report", "--data", str(data), "--out", str(data / "site")]) == 2
    assert "refusing to write here" in capsys.readouterr().err


def test_a_private_roster_is_reported_without_a_name_or_this_projects_framing(private) -> None:
    data, site = private
    people = load(data).people
    files = [p for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".csv")]
    everything = "\n".join(_text(p) if p.suffix == ".html" else p.read_text() for p in files)
    named = [n for n in people["name"] if re.search(rf"\b{n}\b", everything)]
    assert named == [] and not re.search(r"\bE\d{7}\b", everything), "no name or employee number anywhere"
    assert sorted(p.name for p in (site / "downloads").glob("*.csv")) == ["headcount_monthly.csv", "sources.csv"]
    for page in site.glob("*.html"):
        text = _text(page)
        assert "Data: private, not for publication." in text and "Cite as" not in text and "CC BY" not in text, page
        for framing in ("who leaves founding teams", "The pages</h2>", "Verdicts:", "the press", "xAI"):
            assert framing not in text, f"{page.name} shows {framing!r}"
        title = re.search(r"<title>(.*?)</title>", text).group(1)
        assert title.endswith("Synthetic register") and "attrition" not in title, title
    report = _text(site / "any_roster.html")
    assert "Company 0002: who comes and goes · Synthetic register" in report
    for section in ("Start cohorts", "Why people leave", "Who came back", "data-name=.cohorts", "data-name=.reasons",
                    "left of their own accord", "person 1"):
        assert re.search(section, report), section


@pytest.fixture(scope="module")
def judges(tmp_path_factory) -> Path:
    """The shipped federal judges imported and the Supreme Court reported on, as `make report` does."""
    from attrition.io.importers.roster import import_roster

    tmp_path = tmp_path_factory.mktemp("judges")
    example = DEFAULT_DATA_DIR / "examples" / "federal-judges"
    import_roster(example / "judges.csv", example / "mapping.toml", tmp_path / "data")
    make_report(load(tmp_path / "data"), tmp_path / "data", tmp_path / "site", "supreme-court-of-the-united-states")
    return tmp_path / "site"


def test_the_federal_judges_report_shows_reasons_cohorts_and_returns_in_its_own_words(judges) -> None:
    report = _text(judges / "any_roster.html")
    assert "Supreme Court of the United States: who comes and goes · U.S. federal judges, 1789-2014" in report
    assert "judges" in report and "employees" not in report and "CC BY" not in report
    assert "public domain (a work of the U.S. government" in report and "Cite as:" in report
    for shown in ("data-name=.reasons", "left of their own accord", "data-name=.cohorts", r"Started \(decade\)",
                  "Charles Evans Hughes", "returned 1930-02-13", "The other courts in the data"):
        assert re.search(shown, report), shown
    assert sorted(p.name for p in (judges / "downloads").glob("*.csv"))[:3] == ["conflicts.csv", "events.csv",
                                                                              "headcount_monthly.csv"], "public: all"


def test_the_standard_report_notebook_is_committed_executed_on_the_shipped_data() -> None:
    nb = nbformat.read(NOTEBOOK_DIR / "any_roster.ipynb", as_version=4)
    assert [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])], "a cell tagged parameters"
    title = next(c for c in nb.cells if "title" in c.metadata.get("tags", []))
    assert title.outputs and title.outputs[0]["data"]["text/markdown"].startswith("# xAI: who comes and goes")
    headline = next(c for c in nb.cells if "headline" in c.metadata.get("tags", []))
    assert headline.outputs and "of xAI's 24 people had left" in headline.outputs[0]["data"]["text/markdown"]


def test_a_failing_cell_is_named(tmp_path, capsys) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken"), nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("raise ValueError('boom')")]
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(nb, folder / "01_broken.ipynb")
    assert main(["report", "--notebooks", str(folder), "--out", str(tmp_path / "site")]) == 2
    captured = capsys.readouterr()
    assert "[1/1] executing 01_broken.ipynb" in captured.out
    assert "error: 01_broken.ipynb, cell 2: ValueError: boom" in captured.err
    assert not (tmp_path / "site").exists()
    assert nbformat.read(folder / "01_broken.ipynb", as_version=4) == nb, "a failed run never rewrites a notebook"


def test_committed_notebooks_carry_the_metadata_jupyterlab_writes() -> None:
    """JupyterLab rewrites kernelspec and language_info from the kernel when a notebook opens; committed
    notebooks already hold the kernel's own values, so opening one leaves `git status` clean."""
    import platform

    for path in [*notebook_paths(NOTEBOOK_DIR), NOTEBOOK_DIR / "any_roster.ipynb"]:
        meta = nbformat.read(path, as_version=4).metadata
        assert meta.kernelspec == {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        info = meta.language_info
        assert info["codemirror_mode"] == {"name": "ipython", "version": 3} and info["pygments_lexer"] == "ipython3"
        assert info["version"].rsplit(".", 1)[0] == platform.python_version().rsplit(".", 1)[0], path.name


def test_no_one_from_the_open_roster_is_named_on_the_site_unless_the_press_named_them(site) -> None:
    """AI Watch lists staff by name; the site shows them only in counts. Names our own curated files carry
    (people named by the press, authors in a source's note) may appear; no name only AI Watch gives may."""
    from attrition.io.importers import aiwatch

    ds = load()
    open_ds = aiwatch.open_roster(ds.data_dir / "aiwatch")
    curated = "\n".join(p.read_text(encoding="utf-8") for p in ds.data_dir.glob("*.csv"))
    staff = {n for n in open_ds.people["name"] if n not in curated and len(n) > 6 and " " in n}
    assert len(staff) > 500
    pages = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    pages += "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.csv"))
    assert sorted(n for n in staff if n in pages) == []


@pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                    reason="headless Chromium not installed (apt-get install chromium chromium-driver; .ci/run does)")
@pytest.mark.parametrize("width", [1280, 390])
def test_a_private_roster_reads_well_in_a_browser_and_names_no_one(private, width) -> None:
    data, site = private
    names = list(load(data).people["name"])
    driver = _browser(width)
    try:
        for page in ("index.html", "any_roster.html", "downloads.html", "findings.html"):
            driver.get((site / page).as_uri())
            seen = driver.execute_script(LOOK, [])
            assert seen["overflow"] == [] and seen["bad"] == [], (page, width, seen["overflow"][:5], seen["bad"][:5])
            assert all(done and w > 0 and alt for done, w, alt in seen["images"]), page
            assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == [], page
            shown = driver.execute_script("return document.body.innerText")
            assert not any(name in shown for name in names), f"{page} shows a name at {width} px"
            assert driver.title.endswith("Synthetic register"), page
    finally:
        driver.quit()
