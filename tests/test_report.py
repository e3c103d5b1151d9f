"""The rendered report: deterministic notebooks, escaped text, a site that works offline in a browser."""

from __future__ import annotations

import contextlib
import io
import json
import posixpath
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import write_dataset
from test_site_in_browser import MEASURE, _browser, needs_chromium, open_page

from attrition import load
from attrition.cli import main
from attrition.locations import DEFAULT_DATA_DIR, REPO_ROOT
from attrition.site.report import (
    NOTEBOOK_DIR,
    execute_notebook,
    make_report,
    notebook_paths,
)


def _outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return json.dumps([c.get("outputs", []) for c in nb.cells], sort_keys=True)


@pytest.mark.slow
@pytest.mark.parametrize("times", [1, 2], ids=["once", "twice"])
def test_executing_gives_the_committed_outputs(tmp_path, times) -> None:
    """All outputs, PNG and SVG bytes included (nbval compares neither), equal the committed ones. The committed
    notebook was itself executed, so one run equal to it is a second identical run. `make test` has nbval for the
    text of every output."""
    runs = []
    for i in range(times):
        copy = tmp_path / f"run{i}" / "01_roster.ipynb"
        copy.parent.mkdir()
        shutil.copy(NOTEBOOK_DIR / "01_roster.ipynb", copy)
        execute_notebook(copy)
        runs.append(_outputs(copy))
    committed = _outputs(NOTEBOOK_DIR / "01_roster.ipynb")
    for i, run in enumerate(runs, 1):
        assert run == committed, f"run {i} differs from the committed outputs: stale (run make report) or not repeatable"
    assert not re.search(r"0x[0-9a-f]{6,}|/tmp/|/work/", runs[0]), "outputs must not show addresses or paths"


def test_notebooks_declare_the_standard_kernel() -> None:
    for path in notebook_paths(NOTEBOOK_DIR):
        assert nbformat.read(path, as_version=4).metadata.kernelspec.name == "python3", path.name


@pytest.fixture
def site(shipped_site) -> Path:
    return shipped_site


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


def _claim_reviews(page: Path) -> list[dict]:
    """The ClaimReviews of a page's JSON-LD, each with the context and the reviewer its graph gives it."""
    scripts = re.findall(r"<script type=['\"]application/ld\+json['\"]>(.*?)</script>", page.read_text(), re.S)
    reviews = []
    for script in scripts:
        data = json.loads(script)
        named = {node["@id"]: node for node in data["@graph"] if "@id" in node}
        reviews += [{**node, "@context": data["@context"], "author": named[node["author"]["@id"]]}
                    for node in data["@graph"] if node["@type"] == "ClaimReview"]
    return reviews


def test_every_ledger_row_carries_a_claim_review_others_can_read(site) -> None:
    """schema.org ClaimReview JSON-LD: it parses, and names the claim, the date and the verdict of every ledger row."""
    from attrition.claims.ledger import evaluate

    ledger = evaluate(load()).set_index("claim_id")
    reviews = _claim_reviews(site / "04_claims_ledger.html")
    assert sorted(r["url"].rsplit("#claim-", 1)[1] for r in reviews) == sorted(ledger.index)
    for review in reviews:
        row = ledger.loc[review["url"].rsplit("#claim-", 1)[1]]
        assert review["@context"] == "https://schema.org" and review["author"]["name"] == "attrition"
        assert review["claimReviewed"] == row["claim"] and review["datePublished"] == "2026-11-22"
        assert review["itemReviewed"]["datePublished"] == (row["published"] or row["as_of"])
        assert review["reviewRating"]["alternateName"].lower().startswith(row["verdict"].replace("_", " "))
        if row["label"] != "not checkable":
            assert row["label"] in review["reviewRating"]["alternateName"]
    index = {r["claimReviewed"] for r in _claim_reviews(site / "index.html")}
    assert index and index <= set(ledger["claim"])


def test_the_downloads_carry_the_claims_feed_and_the_edition(site) -> None:
    feed = json.loads((site / "downloads" / "claims.json").read_text())
    assert feed["edition"] == "2026-11-22" and feed["known_as_of"] is None
    assert all({"verdict", "verdict_then", "known_then", "label"} <= set(row) for row in feed["claims"])
    edition = json.loads((site / "downloads" / "edition.json").read_text())
    assert edition["edition"] == "2026-11-22" and edition["counts"]["companies"] == len(load().companies)
    changes = edition["against_previous_edition"]
    assert changes["statements_added"] > 0, "this edition's logged sources were added since the previous one"
    assert "claims.json" in (site / "downloads.html").read_text() and "This edition" in (site / "changes.html").read_text()


def test_the_index_sets_every_founding_team_beside_the_base_rates(site) -> None:
    text = (site / "index.html").read_text()
    assert "Compared with what?" in text and "Carta" in text and "Departures in one team are not independent" in text
    assert all(name.replace("&", "&amp;") in text for name in load().company_names.values())


def _meta(page: Path) -> dict[str, str]:
    meta = {}
    for tag in re.findall(r"<meta [^>]*>", page.read_text()):
        prop, content = re.search(r'property="([^"]+)"', tag), re.search(r'content="([^"]*)"', tag)
        if prop and content:
            meta[prop.group(1)] = content.group(1)
    return meta


def test_every_page_has_a_title_description_and_no_relative_share_card(site) -> None:
    """A relative og:image previews nothing: without [report] site_url no page names one; a favicon is linked."""
    for page in site.rglob("*.html"):
        text = page.read_text()
        title = re.search(r"<title>(.*?)</title>", text).group(1)
        assert title.endswith("· attrition") and not re.match(r"\d\d_", title), page.name
        meta = _meta(page)
        assert len(meta.get("og:description", "")) >= 20 and meta.get("og:title"), page.name
        assert "og:image" not in meta and "og:url" not in meta, page.name
        assert re.search(r'<link rel="icon" href="(\.\./)*favicon.svg"', text), page.name
    assert (site / "favicon.svg").read_text().startswith("<svg")


def test_share_cards_are_absolute_under_the_sites_address(tmp_path) -> None:
    """With [report] site_url, each notebook page and the index show their first chart as an absolute og:image."""
    from attrition.site.pages import Site

    ds = load()
    ds.config.setdefault("report", {})["site_url"] = "https://example.org/attrition/"
    out = tmp_path / "site"
    out.mkdir()
    site = Site(ds)
    site.pages = [site.render_notebook(NOTEBOOK_DIR / "02_founder_survival.ipynb", out, "02_founder_survival.html")]
    site.write_pages(out, [], story=False)
    for page in ("02_founder_survival.html", "index.html"):
        meta = _meta(out / page)
        assert meta["og:image"].startswith("https://example.org/attrition/downloads/charts/02_founder_survival--")
        image = out / meta["og:image"].removeprefix("https://example.org/attrition/")
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", page
    assert _meta(out / "02_founder_survival.html")["og:url"] == "https://example.org/attrition/02_founder_survival.html"


def test_site_fetches_nothing_from_the_network_and_embeds_no_picture(site) -> None:
    """Charts are SVG files beside the pages (a phone's drawing picked by width), never base64 in the page."""
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert not re.search(r"""<(script|link|img|source)[^>]+(src|href|srcset)=["']?https?://""", text), page.name
        assert "javascript:" not in text and "data:image" not in text, page.name
        if page.parent == site and page.name[:2].isdigit():
            pictures = re.findall(r'<img [^>]*\bsrc="(downloads/charts/[^"]+\.svg)"', text)
            assert pictures and all((site / p).read_text().startswith("<?xml") for p in pictures), page.name
            assert len(re.findall(r'<source [^>]*\bsrcset="downloads/charts/[^"]+-narrow\.svg"', text)) == len(pictures)


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


def test_notebook_pages_escape_names_from_the_data(tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "data", data, ignore=shutil.ignore_patterns("processed"))
    people = data / "people.csv"
    people.write_text(people.read_text(encoding="utf-8")
                      .replace("Juntang Zhuang", "<script>alert(1)</script>")
                      .replace("Kyle Kosic", "[Kyle](javascript:alert(1)) ![x](https://example.org/x.png)"),
                      encoding="utf-8")
    from attrition.site.pages import Site

    notebook = execute_notebook(NOTEBOOK_DIR / "01_roster.ipynb", data, target=tmp_path / "01_roster.ipynb",
                                cell_bar=False)
    (tmp_path / "site").mkdir()
    Site(load(data)).render_notebook(notebook, tmp_path / "site", "01_roster.html")
    html = (tmp_path / "site" / "01_roster.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "javascript:" in html and not re.search(r"""href=["']javascript:""", html), "a link in a name stays text"
    assert not re.search(r"""<img[^>]+src=["']https://example.org""", html), "an image in a name stays text"


def test_tables_on_the_site_are_whole_and_plain(site) -> None:
    """No table is cut short or shows pandas leftovers (an index, snake_case headers, a rows-by-columns
    footer); every date is kept on one line, the cell around it free to wrap; no style written for
    JupyterLab is left; 01's evidence table has every xAI statement."""
    tables = 0
    for page in sorted(site.glob("0*.html")):
        text = page.read_text()
        assert "class=\"dataframe\"" not in text and "rows ×" not in text, page.name
        assert "text-align:" not in text, f"{page.name}: a table keeps the inline styles written for JupyterLab"
        for table in re.findall(r"<table class=.readable.*?</table>", text, flags=re.S):
            tables += 1
            headers = re.findall(r"<th scope=.col.>(.*?)</th>", table)
            assert headers and all(h and not re.fullmatch(r"[a-z]+(_[a-z]+)+", h) for h in headers), (page.name, headers)
            text_only = re.sub(r"<span class=.date.>\d{4}-\d{2}(-\d{2})?</span>|<[^>]+>", " ", table)
            assert not re.search(r"\b\d{4}-\d{2}(-\d{2})?\b", text_only), f"{page.name}: a date outside a date span"
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
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["report", "--data", str(tmp_path / "hr"), "--company", "company-0002",
                     "--out", str(tmp_path / "site")]) == 0
    assert {p: p.read_bytes() for p in NOTEBOOK_DIR.glob("*.ipynb")} == committed, "committed notebooks untouched"
    assert f"site ready: {tmp_path / 'site' / 'index.html'}" in printed.getvalue(), "the report says where the site is"
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


@pytest.mark.slow
def test_a_second_report_on_a_private_roster_writes_the_same_bytes(private, tmp_path) -> None:
    data, site = private
    again = tmp_path / "again"
    assert main(["report", "--data", str(data), "--company", "company-0002", "--out", str(again)]) == 0
    files = lambda folder: {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert files(again) == files(site)


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


@pytest.mark.slow
def test_the_example_roster_shows_reasons_cohorts_and_returns_in_its_own_words(site) -> None:
    """The federal judges, imported and run by the report as the shipped data's example (dataset.toml)."""
    report = _text(site / "federal-judges" / "supreme-court-of-the-united-states.html")
    assert "judges" in report and "employees" not in report and "CC BY" not in report
    assert "public domain (a work of the U.S. government" in report and "Cite as:" in report
    for shown in ("data-name=.reasons", "left of their own accord", "data-name=.cohorts", r"Started \(decade\)",
                  "Charles Evans Hughes", "returned .{0,40}1930-02-13", "The other courts in the data"):
        assert re.search(shown, report), shown


@pytest.mark.slow
def test_the_federal_judges_reported_on_their_own_are_titled_by_their_roster_and_publish_every_table(tmp_path) -> None:
    """The shipped federal judges imported and the Supreme Court reported on as a dataset of its own."""
    from attrition.io.importers.roster import import_roster

    example = DEFAULT_DATA_DIR / "examples" / "federal-judges"
    import_roster(example / "judges.csv", example / "mapping.toml", tmp_path / "data")
    site = make_report(load(tmp_path / "data"), tmp_path / "data", tmp_path / "site",
                       "supreme-court-of-the-united-states").parent
    report = _text(site / "any_roster.html")
    assert "Supreme Court of the United States: who comes and goes · U.S. federal judges, 1789-2014" in report
    assert "Charles Evans Hughes" in report and "Cite as:" in report and "CC BY" not in report
    assert sorted(p.name for p in (site / "downloads").glob("*.csv"))[:3] == ["conflicts.csv", "events.csv",
                                                                             "headcount_monthly.csv"], "public: all"


def test_the_standard_report_notebook_is_committed_executed_on_the_shipped_data() -> None:
    nb = nbformat.read(NOTEBOOK_DIR / "any_roster.ipynb", as_version=4)
    assert [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])], "a cell tagged parameters"
    title = next(c for c in nb.cells if "title" in c.metadata.get("tags", []))
    assert title.outputs and title.outputs[0]["data"]["text/markdown"].startswith("# xAI: who comes and goes")
    headline = next(c for c in nb.cells if "headline" in c.metadata.get("tags", []))
    assert headline.outputs and "of xAI's 24 people had left" in headline.outputs[0]["data"]["text/markdown"]


def test_injected_parameters_have_a_fixed_cell_id() -> None:
    """nbformat gives a new cell a random id, which reached every page the report rendered from it."""
    from attrition.site.report import inject_parameters

    ids = []
    for _ in range(2):
        nb = nbformat.read(NOTEBOOK_DIR / "any_roster.ipynb", as_version=4)
        inject_parameters(nb, {"COMPANY": "xai"})
        ids.append([cell.id for cell in nb.cells])
    assert ids[0] == ids[1] and "injected-parameters" in ids[0]


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


@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_a_private_roster_reads_well_in_a_browser_and_names_no_one(private, width) -> None:
    data, site = private
    names = list(load(data).people["name"])
    driver = _browser(width)
    try:
        for page in ("index.html", "any_roster.html", "downloads.html", "findings.html"):
            open_page(driver, (site / page).as_uri())
            seen = driver.execute_script(MEASURE, [])
            assert seen["scroll"] == [] and seen["wraps"] == [] and seen["bad"] == [], (page, width, seen)
            assert all(done and w > 0 and alt for done, w, alt, _ in seen["images"]), page
            assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == [], page
            shown = driver.execute_script("return document.body.innerText")
            assert not any(name in shown for name in names), f"{page} shows a name at {width} px"
            assert driver.title.endswith("Synthetic register"), page
    finally:
        driver.quit()
