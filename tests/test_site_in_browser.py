"""The whole site as readers get it, measured in headless Chromium at 1280 px and at 390 px (a phone):
every page, every table cell, every link, the console, and what each page weighs.

The site is `attrition report` on this repository's data (conftest.shipped_site: the committed notebooks, not
executed again, and with the slow tests the example roster, which `make report` always runs). Skipped, with the
reason, where Chromium and its driver are not installed; the weight budget needs no browser and always runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from attrition import load
from attrition.site.pages import ASSETS
from attrition.site.search import INDEX

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
needs_chromium = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                    reason="headless Chromium not installed (apt-get install chromium chromium-driver; "
                                           ".ci/run does)")
PAGE_BUDGET = 400 * 1024
"""Bytes a page may weigh with the pictures it shows, beside the files every page shares."""
SITE_BUDGET = 5 * 1024 * 1024
"""Bytes the story's site may weigh: every page, chart and download made from this repository's data/ (issue 27)."""
EXAMPLE_BUDGET = 2 * 1024 * 1024
"""Bytes the standard report on an example roster may weigh beside it (its pages and chart downloads): the three
courts of the federal judges, each with start cohorts, reasons and returns, weigh about 1.9 MB."""
EXAMPLE = "federal-judges"
SHARED = {*ASSETS, INDEX}


@pytest.fixture
def site(shipped_site) -> Path:
    return shipped_site


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _pictures(page: Path, narrow: bool) -> list[Path]:
    """The pictures a page shows at one width: each chart's narrow SVG on a phone, its wide one otherwise."""
    text = page.read_text(encoding="utf-8")
    pictures = re.findall(r'<source [^>]*\bsrcset="([^"]+)"' if narrow else r'<img [^>]*\bsrc="([^"]+)"', text)
    return [(page.parent / unquote(p)).resolve() for p in pictures]


def test_every_page_and_the_whole_site_stay_within_their_weight(site) -> None:
    """A notebook page embedded 263 KB of notebook CSS and every chart twice as base64 (0.45-1.02 MB a
    page, 9.3 MB the site); a page now weighs its HTML and the charts it shows at the reader's width."""
    heavy = []
    for page in _pages(site):
        for narrow in (False, True):
            weight = page.stat().st_size + sum(p.stat().st_size for p in _pictures(page, narrow))
            if weight > PAGE_BUDGET:
                heavy.append((page.relative_to(site).as_posix(), narrow, weight))
    assert heavy == [], f"pages over {PAGE_BUDGET:,} bytes: {heavy}"
    assert _pictures(site / "02_founder_survival.html", narrow=True), "the pictures are counted"
    story = sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and not _example(site, p))
    assert story <= SITE_BUDGET, f"the story's site weighs {story:,} bytes"
    assert not any("<style" in p.read_text(encoding="utf-8") for p in _pages(site)), "styles live in site.css only"


def _example(site: Path, path: Path) -> bool:
    """Whether a file of the site belongs to the example roster's report."""
    return EXAMPLE in path.relative_to(site).parts or path.name.startswith(f"{EXAMPLE}-")


@pytest.mark.slow
def test_the_example_rosters_report_stays_within_its_weight(site) -> None:
    example = [p for p in site.rglob("*") if p.is_file() and _example(site, p)]
    assert len(example) > 3 and sum(p.stat().st_size for p in example) <= EXAMPLE_BUDGET, "the example roster's report"
    courts = load().config["report"]["examples"][0]["companies"]
    assert len(list(site.glob("federal-judges/*.html"))) == len(courts), "each court has its page"


MEASURE = r"""
const ids = new Set(arguments[0]);
const out = {cells: [], wraps: [], scroll: [], unlinked: [], bad: [], images: [], right: [], links: [], loaded: []};
const width = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth > width) out.scroll.push(document.documentElement.scrollWidth);
const where = e => e.tagName + " in " + (e.closest("[id]") || document.body).id + ": " + e.textContent.trim().slice(0, 50);
document.querySelectorAll("td, th").forEach(c => {
  if (c.getClientRects().length && c.scrollWidth > c.clientWidth + 1) out.cells.push(where(c) + ` (${c.scrollWidth} > ${c.clientWidth})`);
});
document.querySelectorAll(".table-wrap, pre, .chart").forEach(w => {
  if (w.getClientRects().length && w.scrollWidth > w.clientWidth + 1) out.wraps.push(where(w));
});
document.querySelectorAll("p, li, td, th, h1, h2, h3, h4, dd, dt, span, a, label, select, input").forEach(e => {
  const r = e.getBoundingClientRect();
  if (r.width && (r.right > width + 1 || r.left < -1)) out.wraps.push("off the screen: " + where(e));
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
document.querySelectorAll("img").forEach(i => out.images.push([i.complete, i.naturalWidth, i.alt, i.currentSrc]));
document.querySelectorAll("td:not(.num), th").forEach(c => {
  if (c.getClientRects().length && getComputedStyle(c).textAlign === "right") out.right.push(c.textContent.slice(0, 40));
});
document.querySelectorAll("a[href]").forEach(a => { if (a.href.startsWith("file:")) out.links.push(a.href); });
return out;
"""


def open_page(driver, url: str, seconds: float = 30, ready: str = "return true") -> None:
    """Open a page and wait until every picture has finished loading or failed (`complete`; a missing file is
    complete with no width, so a broken picture still fails the checks) and the script `ready` returns true (the
    page's own scripts have run): on a busy machine the load event can come before a chart picked by width is
    decoded, or before a filter has counted its rows."""
    import time

    driver.get(url)
    deadline = time.monotonic() + seconds
    while not driver.execute_script("return Array.from(document.images).every(i => i.complete)") \
            or not driver.execute_script(ready):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)


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


class Anchors:
    """The ids of each page of the site, read once, to check where links lead."""

    def __init__(self) -> None:
        self.seen: dict[Path, set[str]] = {}

    def missing(self, href: str) -> str:
        """Why a link inside the site leads nowhere, or ''."""
        url = urlparse(href)
        target = Path(unquote(url.path))
        if not target.is_file():
            return f"no file {target.name}"
        if url.fragment and target.suffix == ".html":
            if target not in self.seen:
                found = re.findall(r"""\sid=(?:"([^"]*)"|'([^']*)')""", target.read_text(encoding="utf-8"))
                self.seen[target] = {a or b for a, b in found}
            if not {url.fragment, unquote(url.fragment)} & self.seen[target]:  # a browser tries both
                return f"no #{url.fragment} in {target.name}"
        return ""


BROWSED = [pytest.param(390, "every", id="390"), pytest.param(1280, "story", id="1280"),
           pytest.param(1280, "people", id="1280-people", marks=pytest.mark.slow)]
"""Which pages each width browses. On a phone, where a long name or table overflows first, every page; at 1280 px
the people's pages (one template, about 80 of them) only in `make test-all`, the others always."""


@needs_chromium
@pytest.mark.parametrize("width, part", BROWSED)
def test_every_page_reads_well_in_a_browser(site, width, part) -> None:
    """On every page at desktop and phone width: no table cell whose content overflows or is clipped, no
    horizontal scroll of the page or anything in it, no link inside the site that leads nowhere, no
    console error; every source id is a link, nothing is fetched from the network, every chart loads
    with alt text, and text is set flush left."""
    ids = [s for s in load().sources["source_id"] if any(ch.isdigit() for ch in s)]
    anchors, problems = Anchors(), []
    pages = [p for p in _pages(site) if part == "every" or (part == "people") == ("people" in p.relative_to(site).parts)]
    assert len(pages) > 10, f"the {part} pages are browsed"
    driver = _browser(width)
    try:
        for page in pages:
            name = page.relative_to(site).as_posix()
            open_page(driver, page.as_uri())
            assert driver.execute_script("return document.documentElement.clientWidth") == width, name
            seen = driver.execute_script(MEASURE, ids)
            for kind in ("cells", "wraps", "scroll", "unlinked", "bad", "right"):
                if seen[kind]:
                    problems.append(f"{name}: {kind}: {seen[kind][:4]}")
            broken = sorted({f"{h.rsplit('/', 1)[-1]} ({why})" for h in seen["links"] if (why := anchors.missing(h))})
            if broken:
                problems.append(f"{name}: broken links: {broken[:4]}")
            if not all(done and w > 0 and alt and "No description" not in alt for done, w, alt, _ in seen["images"]):
                problems.append(f"{name}: a picture did not load or has no alt text")
            if width < 600 and any(not src.endswith("-narrow.svg") for *_, src in seen["images"]):
                problems.append(f"{name}: a phone gets a desktop chart")
            errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            if errors:
                problems.append(f"{name}: console errors: {errors[:3]}")
            if not driver.title.endswith("attrition"):
                problems.append(f"{name}: title {driver.title!r}")
    finally:
        driver.quit()
    assert problems == [], "\n".join(problems[:40])


@needs_chromium
def test_search_finds_a_person_a_lab_a_claim_and_a_source_by_one_word(site) -> None:
    from selenium.webdriver.common.by import By

    driver = _browser(1280)
    try:
        driver.get((site / "01_roster.html").as_uri())
        box = driver.find_element(By.CSS_SELECTOR, "form.search input")
        for word, kind, expected in (("Babuschkin", "person", "Igor Babuschkin"), ("Mistral", "lab", "Mistral AI"),
                                     ("turnover", "claim", "turnover"), ("Reuters", "source", "Reuters")):
            box.clear()
            box.send_keys(word)
            driver.implicitly_wait(2)
            hits = driver.execute_script(
                "return [...document.querySelectorAll('form.search li')].map(li => li.textContent)")
            assert any(h.startswith(kind) and expected.lower() in h.lower() for h in hits), (word, hits[:5])
        box.clear()
        box.send_keys("Babuschkin")
        link = driver.find_element(By.CSS_SELECTOR, "form.search li a")
        link.click()
        assert driver.current_url.endswith("people/igor-babuschkin.html")
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        driver.quit()


@needs_chromium
def test_ledger_filters_are_kept_in_the_address_and_charts_tell_their_values(site) -> None:
    """"Contradicted, 2026" can be linked; pointing at a chart shows a date or time, a value and who it counts."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from attrition.claims.ledger import evaluate

    ledger = evaluate(load())
    expected = int(((ledger["verdict"] == "contradicted") & ledger["as_of"].str.startswith("2026")).sum())
    driver = _browser(1280)
    try:
        open_page(driver, (site / "04_claims_ledger.html").as_uri() + "?verdict=contradicted&year=2026",
                  ready="return document.querySelector('.filters output').textContent !== ''")
        shown = driver.execute_script(
            "return [...document.querySelectorAll('tr[data-item]')].filter(r => !r.hidden).length")
        assert shown == expected > 0
        assert driver.find_element(By.CSS_SELECTOR, ".filters output").text == f"{expected} of {len(ledger)} shown"
        driver.get((site / "01_roster.html").as_uri())
        picture = driver.find_element(By.CSS_SELECTOR, "figure.chart img")
        driver.execute_script("arguments[0].scrollIntoView()", picture)
        size = picture.size
        ActionChains(driver).move_to_element_with_offset(picture, size["width"] * 0.1, -size["height"] * 0.3).perform()
        tip = driver.find_element(By.CSS_SELECTOR, "figure.chart .tip")
        assert tip.is_displayed() and re.search(r"joined \d{4}", tip.text), tip.text
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        driver.quit()
