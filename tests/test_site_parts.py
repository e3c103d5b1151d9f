"""The parts of the site a reader meets, one by one: links that work on the site and in JupyterLab,
tables that read without the site's stylesheet, charts drawn the same on every run, downloads named
and described, the search index and the front page's latest departures."""

from __future__ import annotations

import json
from html import escape
import re
import zipfile
from io import BytesIO

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from attrition import load  # noqa: E402
from attrition.locations import NOTEBOOK_DIR  # noqa: E402
from attrition.site import downloads, figures, presentation, search  # noqa: E402
from attrition.site.pages import Page, resolve_links  # noqa: E402


@pytest.fixture(scope="module")
def ds():
    return load()


def test_links_name_their_site_page_and_lead_only_where_jupyterlab_can_follow(ds) -> None:
    """In JupyterLab a link to people/x.html or sources.html pointed at nothing (the files exist only in
    site/): a person is plain text there, a source leads to its own address, a claim to the ledger notebook."""
    person = presentation.person_link("igor-babuschkin", "Igor Babuschkin")
    assert person == "<a data-site='people/igor-babuschkin.html'>Igor Babuschkin</a>"
    source = presentation.source_links(ds, ["fortune-2024-06-28-kosic"])
    assert "data-site='sources.html#fortune-2024-06-28-kosic'" in source and "href='https://" in source
    claim = presentation.claim_link("c1-2", "Negi")
    assert "href='04_claims_ledger.ipynb'" in claim and "data-site='04_claims_ledger.html#claim-c1-2'" in claim
    for html in (f"<p>{person} {source} {claim}</p>", f"<p>{person} {source} {claim}</p>".replace("'", '"')):
        page = resolve_links(html, "../")
        assert "data-site" not in page and "ipynb" not in page and "https://" not in page
        assert re.findall(r"href='([^']+)'", page) == ["../people/igor-babuschkin.html",
                                                       "../sources.html#fortune-2024-06-28-kosic",
                                                       "../04_claims_ledger.html#claim-c1-2"]


def test_committed_notebooks_link_only_to_what_exists_beside_them() -> None:
    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                html = output.get("data", {}).get("text/html", "")
                for href in re.findall(r"""href=["']([^"']+)["']""", html):
                    target = href.split("#")[0]
                    assert href.startswith(("https://", "http://", "#")) or (NOTEBOOK_DIR / target).is_file(), \
                        f"{path.name}: {href} leads nowhere in JupyterLab"


def test_tables_read_in_jupyterlab_and_the_site_drops_what_it_does_not_need() -> None:
    """JupyterLab right-aligns table text and breaks dates (its CSS wins over classes it does not know),
    and runs no script in a notebook it has not trusted: alignment and unbroken dates are inline styles
    it keeps, and the ledger's filters are hidden unless the site's script shows them."""
    table = presentation.Table(pd.DataFrame({"Who": ["Ann"], "When": ["left 2024-02-01 to 2024-03-31"], "N": [3]}),
                               numeric=("N",), filters=("Who",))
    lab = table._repr_html_()
    assert "<th scope='col' style='text-align:left'>Who</th>" in lab
    assert "style='text-align:right'>3</td>" in lab and "<td data-label='Who' style='text-align:left'>Ann" in lab
    assert ("left <span style='white-space:nowrap'>2024-02-01</span> to "
            "<span style='white-space:nowrap'>2024-03-31</span>") in lab
    assert "<div class='filters' hidden='hidden'>" in lab and "<script" not in lab and "data-who='Ann'" in lab
    site = presentation.without_lab_styles(lab.replace("'", '"'))
    assert "text-align" not in site and "table-layout" not in site
    assert site.count("<span class='date'>") == 2
    assert "text-align" not in table.html()


def test_the_roster_says_where_each_person_went_with_the_source(ds) -> None:
    frame = presentation.roster(ds, "xai", ("founder",)).frame.set_index(
        presentation.roster(ds, "xai", ("founder",)).frame["Name"].map(presentation.plain_text))
    assert presentation.plain_text(frame.loc["Kyle Kosic", "Went to"]) == \
        "went back to a previous employer: OpenAI (Fortune, 2024-06-28)"
    assert "sources.html#fortune-2024-06-28-kosic" in frame.loc["Kyle Kosic", "Went to"]
    assert frame.loc["Elon Musk", "Went to"] == "", "no destination for someone who has not left"


def test_a_move_several_sources_give_is_said_once(ds) -> None:
    """Character.AI's founders' move to Google DeepMind has two sources: each spell still gets one line."""
    from attrition.core.roster import spells

    table = spells(ds)
    founders = table[table["company"] == "character-ai"]
    moved = presentation.went_to(ds, founders)
    from attrition.measures.flows import CATEGORY_WORDS

    assert len(moved) == len(founders) and set(moved["went_to"]) == {f"{CATEGORY_WORDS['returned']}: Google DeepMind"}


def test_latest_departures_come_newest_first(ds) -> None:
    table = presentation.latest_departures(ds, count=5).frame
    assert len(table) == 5
    names = [presentation.plain_text(n) for n in table["Who"]]
    assert names[0] == "Lilian Weng" and "Juntang Zhuang" in names
    ends = [re.findall(r"\d{4}-\d{2}-\d{2}", w)[-1] for w in table["When"]]
    assert ends == sorted(ends, reverse=True)


@pytest.fixture(scope="module")
def founders(ds) -> figures.Chart:
    return figures.founder_tenure(ds, "xai")


def test_a_chart_is_drawn_the_same_on_every_run_as_light_svg_and_png(founders) -> None:
    first, again = founders.drawing(), founders.drawing()
    assert first == again
    svg = first.svg
    assert "Matplotlib v" not in svg and "<dc:date>" not in svg, "no version or date in the file"
    assert "<text " in svg and "glyph" not in svg, "text stays text"
    assert not re.search(r"\d+\.\d{3,}", "".join(re.findall(r"<[^>]+>", svg))), "coordinates to two decimals"
    assert f"<title>{escape(founders.title)}</title>" in svg
    assert first.png[:8] == b"\x89PNG\r\n\x1a\n" and len(first.png) < 60_000
    assert len(svg) < 30_000


def test_each_bar_of_the_founders_chart_tells_who_when_and_where_they_went(founders) -> None:
    spots = founders.drawing(narrow=True).spots
    assert len(spots) == len(founders.data)
    for x0, y0, x1, y1, _ in spots:
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    texts = [s[4] for s in spots]
    assert "Igor Babuschkin (founder): joined 2023-03-01 to 2023-07-12; left 2025-08-13; then: went into investing: " \
           "Babuschkin Ventures" in texts
    assert "Elon Musk (founder): joined 2023-07-12; last seen 2026-06-27, not observed since" in texts
    rows = sorted(spots, key=lambda s: s[1])
    assert rows[0][4].startswith("Elon Musk") and rows[-1][4].startswith("Kyle Kosic"), "boxes sit on their bars"
    assert "went_to" in founders.data and "went_to_source" in founders.data


def test_spots_are_safe_inside_a_script_element() -> None:
    text = "a </script><script>alert(1)</script> b"
    data = figures.spots_json([[0, 0, 1, 1, text]], [[0, 0, 0.5, 0.5, text]])
    assert "<" not in data
    assert json.loads(data) == {"t": [text], "w": [[0, 0, 1, 1, 0]], "n": [[0, 0, 0.5, 0.5, 0]]}


def test_chart_files_are_named_by_title_and_the_zip_is_the_same_bytes_every_time(tmp_path) -> None:
    assert downloads.slug("Half of xAI's founders had left 944 days (2.6 years) after joining") == \
        "half-of-xais-founders-had-left-944-days-2-6-years-after-joining"
    assert downloads.slug("量子位 says: Égir's lab " + "word " * 30).startswith("says-egirs-lab-word")
    assert len(downloads.slug("word " * 30)) <= 70
    files = {"b.csv": b"x,y\n1,2\n", "README.md": b"# read me\n", "charts/a.svg": b"<svg/>"}
    downloads.write_zip(tmp_path / "one.zip", files)
    downloads.write_zip(tmp_path / "two.zip", dict(reversed(list(files.items()))))
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(BytesIO((tmp_path / "one.zip").read_bytes())) as archive:
        assert archive.namelist() == sorted(files)
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_search_finds_people_labs_claims_and_sources(ds) -> None:
    from attrition.claims.ledger import evaluate

    pages = [Page("01_roster.html", "Who built xAI", "Who", "11 of 12 left"),
             Page("04_claims_ledger.html", "The claims ledger", "Ledger", "")]
    texts = {"01_roster.html": "xAI xAI xAI Anthropic", "04_claims_ledger.html": "xAI Mistral AI"}
    found = search.entries(ds, pages, texts, evaluate(ds), story=True)
    by_kind = {k: [e for e in found if e["k"] == k] for k in ("page", "lab", "person", "claim", "source")}
    assert {e["t"]: e["h"] for e in by_kind["lab"]} == {"Anthropic": "01_roster.html", "Mistral AI": "04_claims_ledger.html",
                                                        "xAI": "01_roster.html"}, "a lab leads to the page naming it most"
    assert {"t": "Igor Babuschkin", "k": "person", "d": "xAI founder, Led engineering across infrastructure, product and "
            "applied AI (his own post)", "h": "people/igor-babuschkin.html"} in by_kind["person"]
    assert any(e["h"] == "04_claims_ledger.html#claim-c1-2" for e in by_kind["claim"])
    assert len(by_kind["source"]) == len(ds.sources) and len(by_kind["page"]) == 2
    private = search.entries(ds, pages, texts, None, story=False)
    assert not [e for e in private if e["k"] in ("person", "claim")], "an imported roster's people are never listed"
