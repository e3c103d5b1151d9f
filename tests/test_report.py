"""The rendered report: deterministic notebooks, escaped text, a site that works offline in a browser."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from attrition import load
from attrition.cli import main
from attrition.locations import REPO_ROOT
from attrition.report import NOTEBOOK_DIR, build_site, execute_notebook, index_page, notebook_paths
from conftest import write_dataset

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
    out = tmp_path_factory.mktemp("site")
    build_site(load(), notebook_paths(NOTEBOOK_DIR), out)
    return out


def test_site_has_an_index_and_one_page_per_notebook(site) -> None:
    notebook_pages = [f"{p.stem}.html" for p in notebook_paths(NOTEBOOK_DIR)]
    assert sorted(p.name for p in site.glob("*.html")) == sorted(["index.html", *notebook_pages])
    index = (site / "index.html").read_text()
    for page in notebook_pages:
        assert f"href='{page}'" in index
    assert "frozen on <strong>2026-11-22</strong>" in index


def test_site_fetches_nothing_from_the_network(site) -> None:
    for page in site.glob("*.html"):
        text = page.read_text()
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', text), page.name
        assert "data:image/png;base64," in text or page.name == "index.html"


def test_index_escapes_text_from_the_data(tmp_path) -> None:
    folder = write_dataset(tmp_path / "data")
    (folder / "claims.csv").write_text(
        "claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note\n"
        "c1,s3,<script>alert(1)</script> left,2022-06-01,departed_share,company=acme,0.5,exact,,\n", encoding="utf-8")
    page = index_page(load(folder), [])
    assert "&lt;script&gt;alert(1)&lt;/script&gt; left" in page and "<script>alert(1)" not in page


def test_notebook_pages_escape_names_from_the_data(tmp_path, monkeypatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "data", data, ignore=shutil.ignore_patterns("processed"))
    people = data / "people.csv"
    people.write_text(people.read_text(encoding="utf-8").replace("Juntang Zhuang", "<script>alert(1)</script>"),
                      encoding="utf-8")
    notebook = tmp_path / "nb" / "01_roster.ipynb"
    notebook.parent.mkdir()
    shutil.copy(NOTEBOOK_DIR / "01_roster.ipynb", notebook)
    monkeypatch.setenv("ATTRITION_DATA", str(data))
    execute_notebook(notebook)
    html = build_site(load(data), [notebook], tmp_path / "site").with_name("01_roster.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_report_without_execution_prints_where_the_site_is(tmp_path, capsys) -> None:
    assert main(["report", "--no-execute", "--out", str(tmp_path / "site")]) == 0
    assert f"site ready: {tmp_path / 'site' / 'index.html'}" in capsys.readouterr().out


@pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                    reason="headless Chromium not installed (apt-get install chromium chromium-driver; .ci/run does)")
def test_pages_load_in_a_browser_with_images_and_no_console_errors(site) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        for page, min_images in (("index.html", 0), ("02_founder_survival.html", 5)):
            driver.get((site / page).as_uri())
            images = driver.execute_script(
                "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
            assert len(images) >= min_images, page
            assert all(done and width > 0 for done, width in images), f"{page}: an image failed to load"
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], f"{page}: console errors {errors}"
            assert driver.title
    finally:
        driver.quit()


def test_report_on_an_imported_roster_uses_only_that_roster(tmp_path, capsys) -> None:
    from attrition.roster_import import import_roster
    from attrition.synthetic import HR_MAPPING, write_hr_export

    export = write_hr_export(tmp_path / "in" / "hr.csv", 300, n_companies=2, seed=5)
    (tmp_path / "in" / "mapping.toml").write_text(HR_MAPPING)
    import_roster(export, tmp_path / "in" / "mapping.toml", tmp_path / "hr")
    committed = {p: p.read_bytes() for p in NOTEBOOK_DIR.glob("*.ipynb")}
    site = tmp_path / "site"
    assert main(["report", "--data", str(tmp_path / "hr"), "--company", "company-0002", "--out", str(site)]) == 0
    assert {p: p.read_bytes() for p in NOTEBOOK_DIR.glob("*.ipynb")} == committed, "committed notebooks untouched"
    pages = sorted(p.name for p in site.glob("*.html"))
    assert pages == ["any_roster.html", "index.html"], "no story notebook runs on another dataset"
    report = (site / "any_roster.html").read_text()
    assert "Company 0002" in report and "employees" in report
    shipped = load()
    for page in site.glob("*.html"):
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page.read_text())
        for name in [*shipped.company_names.values(), "Musk", "founders who"]:
            assert name not in text, f"{page.name} shows {name!r} from the shipped data"
    assert "Company 0002" in (site / "index.html").read_text()
    assert main(["report", "--data", str(tmp_path / "hr"), "--no-execute", "--out", str(tmp_path / "s2")]) == 2
    assert "--no-execute renders the committed notebooks" in capsys.readouterr().err
    assert main(["report", "--data", str(tmp_path / "hr"), "--company", "nobody", "--out", str(tmp_path / "s3")]) == 2
    assert main(["report", "--data", str(tmp_path / "hr"), "--out", str(tmp_path / "hr" / "site")]) == 2
    assert "refusing to write here" in capsys.readouterr().err


def test_the_standard_report_notebook_is_committed_executed_on_the_shipped_data() -> None:
    nb = nbformat.read(NOTEBOOK_DIR / "any_roster.ipynb", as_version=4)
    assert [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])], "a cell tagged parameters"
    headline = next(c for c in nb.cells if "headline" in c.metadata.get("tags", []))
    assert headline.outputs and "## xAI" in headline.outputs[0]["data"]["text/markdown"]


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
