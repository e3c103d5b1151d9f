"""The static site: notebook pages through an nbconvert template, and the pages around them.

Why nbconvert templates and Jinja rather than a site generator (Sphinx with MyST-NB, Jupyter Book):
the notebooks are already executed and checked by nbval, so rendering them is one template away;
a generator would execute or re-parse them again, pull in a theme with its own scripts and fonts,
and add a build tree. Every page is one Jinja page (page.html): one header (links to every page, a
search box, "data as of", "built on"), one footer (cite this), and three shared files the browser
caches: site.css (tables become cards on a phone), site.js (filters, chart values under the pointer,
search; every page reads fully without it) and the favicon. A notebook page is its cells in plain
elements; its charts are SVG files under downloads/charts/, a narrow drawing picked on a phone. Text
from the data goes through Jinja's autoescape or the escaping in attrition.site.presentation;
nothing is fetched from the network.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field, replace
from html import unescape
from pathlib import Path

import pandas as pd

from attrition.io.dataset import Dataset
from attrition.io.outputs import inside
from attrition.locations import REPO_ROOT
from attrition.schema import PUBLISHED
from attrition.site.downloads import CHARTS, ZIP_NAME, ChartFiles

TEMPLATES = Path(__file__).parent / "templates"
AGGREGATES = ("headcount_monthly.csv",)
"""The tidy tables that count people without naming or listing anyone: all a private roster's site offers."""
SITE_PAGES = [("sources.html", "Sources"), ("methodology.html", "Methodology"), ("changes.html", "Corrections"),
              ("findings.html", "Checked"), ("downloads.html", "Downloads")]
ASSETS = ("site.css", "site.js", "favicon.svg")
"""Files every page shares, copied as they are from the templates."""


@dataclass(frozen=True)
class Page:
    """One rendered notebook: its HTML (relative to the site root), title, label in the menu, answer,
    and the charts on it."""

    href: str
    title: str
    nav: str
    answer: str
    findings: tuple[dict, ...] = ()
    charts: tuple[ChartFiles, ...] = ()

    @property
    def image(self) -> str:
        """The page's first chart as PNG (from the site's root), the picture a shared link shows."""
        return self.charts[0].href("", ".png") if self.charts else ""


@dataclass
class Section:
    """A group of pages on the index: the dataset's own, or an imported example roster's."""

    heading: str
    intro: str
    pages: list[Page] = field(default_factory=list)


def build_info() -> tuple[str, str]:
    """(date, short commit) of the checkout the site is built from, or empty strings outside git:
    the "built on" date is the code's, not today's, so rebuilding the same commit gives the same pages."""
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "log", "-1", "--format=%cs %h"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "", ""
    return (out[0], out[1]) if len(out) == 2 else ("", "")


def markdown_text(markdown: str) -> str:
    """Markdown as one line of plain text (for the index and page descriptions): markup dropped, escapes undone."""
    import mistune

    rendered = mistune.html(markdown)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", rendered)).split()).replace(" .", ".").replace(" ,", ",")


def _markdown_html(markdown: str) -> str:
    """Markdown built from escaped text (a Statement's) as HTML."""
    import mistune

    return mistune.html(markdown)


def _headline(nb) -> str:
    """The answer a notebook opens with: the Markdown its cell tagged `headline` displayed, as text."""
    for cell in nb.cells:
        if "headline" in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                if "text/markdown" in output.get("data", {}):
                    text = markdown_text(output["data"]["text/markdown"])
                    return re.sub(r"^(Answer|In one line)[.:]\s*", "", text)
    return ""


def _web(url: object) -> str:
    """A link only if it is http(s) (validate refuses others; this keeps the page safe on unchecked data)."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""


LINK = re.compile(r"""<a ([^>]*?)data-site=["']([^"']*)["']([^>]*)>""")


def resolve_links(html: str, root: str) -> str:
    """Links made by attrition.site.presentation (`data-site`, a path from the site's root, beside what
    JupyterLab follows) pointed at the site's page from a page `root` deep. Either quote is matched:
    nbconvert rewrites outputs' attributes with double quotes."""
    def point(match: re.Match) -> str:
        rest = re.sub(r"""\s*href=["'][^"']*["']""", "", f"{match.group(1)} {match.group(3)}").strip()
        return f"<a href='{root}{match.group(2)}'{' ' + rest if rest else ''}>"

    return LINK.sub(point, html)


def _page_of(nb, path: Path, href: str) -> Page:
    from attrition.site.selfcheck import notebook_findings

    title = notebook_title(nb, path.stem)
    return Page(href, title, nb.metadata.get("attrition", {}).get("nav", title), _headline(nb),
                findings=tuple(notebook_findings(nb)))


def notebook_title(nb, fallback: str) -> str:
    """The notebook's title as plain text: the heading its cell tagged `title` displays (a title made from the
    data, such as the company's name), else its first Markdown cell's heading."""
    for cell in nb.cells:
        if "title" in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                shown = output.get("data", {}).get("text/markdown", "")
                if shown.startswith("# "):
                    return markdown_text(shown.splitlines()[0].lstrip("# ")) or fallback
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    heading = next((line for line in first.splitlines() if line.startswith("# ")), "")
    return markdown_text(heading.lstrip("# ")) or fallback


class Site:
    """What every page shares: the menu, the dates, the templates."""

    def __init__(self, ds: Dataset, pages: list[Page] | None = None, home: Dataset | None = None) -> None:
        """`home` is the dataset whose site the pages belong to (default `ds`): an example roster rendered inside
        the main site keeps the main site's name and menu, and states its own licence and dates."""
        import jinja2

        from attrition.measures import overview

        self.ds = ds
        home = home or ds
        self.story = bool(home.config.get("report", {}).get("story", False))
        self.brand = "attrition" if self.story else overview.title(home)
        """The site's name: the project's for the story dataset, the dataset's own title for anyone else's roster."""
        self.public, self.licence = overview.is_public(ds), overview.licence(ds)
        self.freeze = ds.freeze_date.isoformat()
        self.built, self.commit = build_info()
        self.pages = pages or []
        self.findings: list[tuple[str, list[dict]]] = []
        """(page, findings) of the pages written here rather than from a notebook (the person pages)."""
        self.home = str(ds.config.get("report", {}).get("site_url", "")).rstrip("/")
        self._ledger: pd.DataFrame | None = None
        self._chart_names: set[str] = set()
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / "site"), autoescape=True,
                                      keep_trailing_newline=True)

    @property
    def ledger(self) -> pd.DataFrame:
        """The claims ledger, evaluated once per site."""
        from attrition.claims.ledger import evaluate

        if self._ledger is None:
            self._ledger = evaluate(self.ds)
        return self._ledger

    def nav(self) -> list[dict]:
        return [{"href": p.href, "label": p.nav} for p in self.pages] + [{"href": h, "label": t} for h, t in SITE_PAGES]

    def header(self, root: str, current: str) -> str:
        return self.env.get_template("header.html").render(root=root, nav=self.nav(), current=current,
                                                           freeze=self.freeze, built=self.built, brand=self.brand)

    def footer(self, root: str, title: str) -> str:
        """Cite-as (only for data that may be published), the data's own licence, and where the numbers come from."""
        return self.env.get_template("footer.html").render(root=root, title=title, freeze=self.freeze,
                                                           commit=self.commit, brand=self.brand, story=self.story,
                                                           public=self.public, licence=self.licence)

    def page(self, href: str, title: str, body: str, answer: str = "", description: str = "", image: str = "",
             heading: bool = True) -> str:
        """A whole site page; `body` is markup built from escaped parts (a template, a presentation Table or
        a rendered notebook, whose own first heading stands in for the page's when `heading` is False)."""
        from markupsafe import Markup

        root = "../" * href.count("/")
        return self.env.get_template("page.html").render(
            root=root, title=title, brand=self.brand, answer=answer, description=description or answer or title,
            heading=heading,
            image=self.absolute(image), url=self.absolute(href),
            header=Markup(self.header(root, href)), footer=Markup(self.footer(root, title)),
            body=Markup(resolve_links(body, root)))

    def absolute(self, path: str) -> str:
        """A page or file's full address under dataset.toml's [report] site_url (link previews need one);
        empty when the site's home is not known, since a relative og:image previews nothing."""
        return f"{self.home}/{path}" if self.home and path else ""

    def body(self, template: str, **values) -> str:
        return self.env.get_template(template).render(freeze=self.freeze, **values)

    def chart_html(self, chart: ChartFiles, root: str) -> str:
        """A chart as a page shows it: the SVG file for its width, its spots for the script, its downloads."""
        from markupsafe import Markup

        return self.env.get_template("chart.html").render(chart=chart, root=root, spots=Markup(chart.spots))

    def describe(self, path: Path, href: str) -> Page:
        """A notebook's entry in the menu and on the index: title, short label, the answer it opens with."""
        import nbformat

        return _page_of(nbformat.read(path, as_version=4), path, href)

    def render_notebook(self, path: Path, site_dir: Path, href: str) -> Page:
        """One executed notebook as a page at `href`: its Markdown and outputs (no code) inside the site's
        page, each chart written once under downloads/charts/ (data, PNG, SVG) and shown from there."""
        import nbformat
        from nbconvert import HTMLExporter

        from attrition.site.downloads import write_chart
        from attrition.site.presentation import without_lab_styles

        nb = nbformat.read(path, as_version=4)
        page = _page_of(nb, path, href)
        root = "../" * href.count("/")
        charts = []
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                meta = output.get("metadata", {}).get("image/png", {})
                if "svg" in meta and "text/csv" in output.get("data", {}):
                    charts.append(write_chart(site_dir, href, page.title, output, self._chart_names))
                    meta["figure"] = self.chart_html(charts[-1], root)
        page = replace(page, charts=tuple(charts))
        exporter = HTMLExporter(template_name="attrition", extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
                                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
        cells, _ = exporter.from_notebook_node(nb)
        cells = without_lab_styles(cells)
        target = inside(site_dir, href)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.page(href, page.title, cells, description=page.answer or page.title, image=page.image,
                                    heading=False), encoding="utf-8")
        return page

    # -- the pages around the notebooks -------------------------------------------------------------

    def write_pages(self, site_dir: Path, sections: list[Section], story: bool) -> None:
        """The shared files, the index, sources, methodology, corrections and downloads pages, the search
        index, and a page per person (for the story dataset, whose people are all named in the press)."""
        from markupsafe import Markup

        from attrition.site import presentation
        from attrition.site.search import write_index

        ds = self.ds
        for asset in ASSETS:
            (site_dir / asset).write_bytes((TEMPLATES / "site" / asset).read_bytes())
        chosen = str(ds.config.get("report", {}).get("answer_page", ""))
        first = next((p for p in self.pages if p.href == chosen), self.pages[0] if self.pages else None)
        claims, total, tally = self._headline_claims() if story else ([], 0, "")
        index = self.body("index_body.html", pages=self.pages if story else [],
                          sections=sections[1:] if story else sections, claims=claims, total=total, tally=tally,
                          lead=first if first and first.charts else None,
                          chart=Markup(self.chart_html(first.charts[0], "")) if first and first.charts else "",
                          latest=Markup(presentation.latest_departures(ds).html()) if story else "",
                          base_rates=self._base_rates() if story else None,
                          reviews=self._reviews([c["claim_id"] for c in claims]), story=story)
        if story:
            heading = "attrition: who leaves founding teams, and what the press gets right"
            intro = (f"How founding teams and early hires come and go, and whether the press gets it right, from "
                     f"{len(ds.sources):,} sources and {len(ds.evidence):,} dated statements about {len(ds.people):,} people.")
        else:
            from attrition.measures.overview import words

            said = words(ds)
            heading = self.brand
            intro = (f"Who comes and goes: the standard report on {self.brand}, {ds.people['person_id'].nunique():,} "
                     f"{said['people']} at {len(ds.companies):,} {said['companies'] if len(ds.companies) != 1 else said['company']}, "
                     f"as of {self.freeze}.")
        (site_dir / "index.html").write_text(self.page(
            "index.html", heading, index, answer=first.answer if first else "", description=intro,
            image=first.image if first else ""), encoding="utf-8")
        sources = self._sources(story)
        (site_dir / "sources.html").write_text(self.page(
            "sources.html", "Sources", self.body("sources_body.html", groups=_by_grade(sources),
                                                 outlets=sorted({s["publisher"] for s in sources})),
            description="Every source the data cites, with its link and reliability grade."), encoding="utf-8")
        from attrition.core.relations import SOURCE_RULE
        from attrition.measures.survival import LEAVING_RULE
        from attrition.precision import DECIMALS

        (site_dir / "methodology.html").write_text(self.page(
            "methodology.html", "How the numbers are made", self.body("methodology_body.html", leaving_rule=LEAVING_RULE,
                                                                      source_rule=SOURCE_RULE, decimals=DECIMALS, story=story),
            description="The rules behind every number, in plain words."), encoding="utf-8")
        self._write_downloads(site_dir, [c for section in sections for p in section.pages for c in p.charts])
        write_index(site_dir, ds, [p for section in sections for p in section.pages],
                    self.ledger if story and len(ds.claims) else None, story)
        if story:
            for person_id in sorted(ds.people["person_id"].unique()):
                self._person_page(site_dir, person_id)

    def write_corrections(self, site_dir: Path, checked: list) -> None:
        """The corrections page: every logged change in plain words, and every published number or verdict the
        current edition moved (attrition.site.editions), from what to what."""
        from markupsafe import Markup

        from attrition.io.outputs import write_atomic
        from attrition.site import presentation
        from attrition.site.editions import Edition, compare, counts

        if len(self.ds.frame("corrections")) and self.ds.known_as_of is None:
            edition, changes = compare(self.ds, checked, self.ledger)
        else:  # nothing logged, or the data as known on a day (not an edition): nothing to compare
            edition, changes = Edition(self.freeze, counts(self.ds), None, None), None if self.ds.known_as_of else []
        write_atomic(site_dir / "downloads" / "edition.json",
                     (json.dumps(edition.to_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode())
        body = self.body("changes_body.html", table=Markup(presentation.corrections_table(self.ds, changes).html()),
                         moved=Markup(presentation.moved_table(changes).html()) if changes else "",
                         rebuilt=changes is not None, edition=self.freeze,
                         editions=Markup(presentation.edition_table(edition).html()))
        (site_dir / "changes.html").write_text(self.page(
            "changes.html", "Corrections to the data", body,
            description="Every change made to the data, and every published number or verdict it moved."),
            encoding="utf-8")

    def write_self_ledger(self, site_dir: Path, rows: list) -> None:
        """The page that lists every finding the site states, with its check (attrition.site.selfcheck)."""
        from collections import Counter

        from markupsafe import Markup

        from attrition.claims.ledger import reading_text
        from attrition.site import presentation

        frame = pd.DataFrame({
            "Page": [presentation.Html(f"<a href='{row.page}'>{presentation.cell_html(row.page)}</a>") for row in rows],
            "The page says": [row.sentence for row in rows],
            "Checked as": [f"{row.metric} ({row.params}): " + reading_text(*reversed(row.reading.split(" ", 1)), row.tolerance)
                           for row in rows],
            "The data say": [row.measured for row in rows],
            "Verdict": [presentation.verdict_badge(row.verdict) for row in rows],
        })
        tally = Counter(row.verdict for row in rows)
        body = self.body("findings_body.html", total=f"{len(rows):,}", pages=len({row.page for row in rows}), story=self.story,
                         tally=", ".join(f"{n:,} {v.replace('_', ' ')}" for v, n in sorted(tally.items())),
                         table=Markup(presentation.Table(frame, filters=("Verdict",), name="self-ledger").html()))
        (site_dir / "findings.html").write_text(self.page(
            "findings.html", "What these pages state, checked", body,
            description="Every finding the site states, checked against the data like a press claim."), encoding="utf-8")

    def _reviews(self, claim_ids: list[str]):
        """The schema.org ClaimReview JSON-LD of the ledger rows a page shows (the index's headline claims)."""
        from markupsafe import Markup

        from attrition.site.presentation import claim_reviews

        if not claim_ids:
            return ""
        return Markup(claim_reviews(self.ds, self.ledger[self.ledger["claim_id"].isin(claim_ids)]).html)

    def _base_rates(self) -> dict | None:
        """The index's "compared with what?": every founding team beside the published base rates, the findings
        that say how the clocks differ and why departures in one team are not independent (checked by the report
        like every page's), and the base rates as their studies give them. None when the data has no base rates."""
        from markupsafe import Markup

        from attrition.findings import base_rates
        from attrition.findings.finding import Statement
        from attrition.measures.base_rates import rate_ids
        from attrition.site import presentation

        if not rate_ids(self.ds, with_horizon=True):
            return None
        found = (base_rates.clocks(self.ds), base_rates.together(self.ds))
        self.findings.append(("index.html", [f.to_dict() for f in found]))
        return {"said": Markup(_markdown_html(Statement(found).markdown())),
                "teams": Markup(presentation.beside_base_rates(self.ds).html()),
                "rates": Markup(presentation.base_rate_table(self.ds).html())}

    def _write_downloads(self, site_dir: Path, charts: list[ChartFiles]) -> None:
        """The downloads page and the one zip of everything on it but the PNG pictures: the same charts
        are in it as SVG, and the PNGs, which do not compress, would double its weight."""
        from attrition.site.downloads import readme, write_zip

        tables = self._downloads(site_dir / "downloads")
        folder = site_dir / "downloads"
        files = {"README.md": readme(tables, charts, self.freeze).encode("utf-8")}
        files.update({t["name"]: (folder / t["name"]).read_bytes() for t in tables})
        for chart in charts:
            for kind in (".csv", ".svg"):
                files[f"charts/{chart.name}{kind}"] = (site_dir / chart.href("", kind)).read_bytes()
        write_zip(folder / ZIP_NAME, files)
        pages = list(dict.fromkeys((c.page, c.page_title) for c in charts))
        (site_dir / "downloads.html").write_text(self.page(
            "downloads.html", "Downloads", self.body(
                "downloads_body.html", tables=tables, zip=f"downloads/{ZIP_NAME}", charts_dir=CHARTS, public=self.public,
                pages=[{"href": h, "title": t, "charts": [c for c in charts if c.page == h]} for h, t in pages]),
            description="The tidy tables, the claims ledger, the sources and every chart (data, PNG and SVG), "
                        "one by one or in one zip."),
            encoding="utf-8")

    def _headline_claims(self) -> tuple[list[dict], int, str]:
        """The claims dataset.toml lists as headlines ([report] headline_claims), as the ledger checks them."""
        from markupsafe import Markup

        from attrition.claims.ledger import BASES, VERDICTS
        from attrition.site.presentation import verdict_badge

        ledger = self.ledger
        chosen = [str(c) for c in self.ds.config.get("report", {}).get("headline_claims", [])]
        rows = ledger.set_index("claim_id").reindex([c for c in chosen if c in set(ledger["claim_id"])])
        claims = [{"claim_id": cid, "claim": r.claim, "source": f"{r.publisher}" + (f", {r.published}" if r.published else ""),
                   "as_of": r.as_of, "reported": r.reported or "not checkable", "badge": Markup(verdict_badge(r.verdict)),
                   "measured": r.measured if r.verdict != "not_evaluated" else r.note,
                   "basis": BASES.get(r.basis, "") or "not checked"}
                  for cid, r in rows.iterrows()]
        counts = ledger["verdict"].value_counts()
        tally = ", ".join(f"{counts.get(v, 0)} {v.replace('_', ' ')}" for v in VERDICTS)
        return claims, len(ledger), tally

    def _sources(self, story: bool) -> list[dict]:
        """Every source as the sources page lists it, by outlet and date."""
        from markupsafe import Markup

        from attrition.site.presentation import linked_text

        ds = self.ds
        cited = (ds.evidence[["source_id", "person_id"]].drop_duplicates()
                 .merge(ds.people[["person_id", "name"]].drop_duplicates("person_id"), on="person_id"))
        by_source = {s: [{"id": p, "name": n} for p, n in sorted(zip(g["person_id"], g["name"]), key=lambda x: x[1])]
                     for s, g in cited.groupby("source_id")} if story else {}
        rows = []
        for s in ds.sources.sort_values(["publisher", "published", "source_id"], kind="stable").itertuples():
            rows.append({"source_id": s.source_id, "publisher": s.publisher, "title": s.title, "url": _web(s.url),
                         "read_url": _web(getattr(s, "read_url", "")), "language": s.language,
                         "published": f"{s.published:%Y-%m-%d}" if pd.notna(s.published) else "",
                         "grade": s.grade or "?", "grade_reason": Markup(linked_text(ds, s.grade_reason or "")),
                         "people": by_source.get(s.source_id, [])})
        return rows

    def _downloads(self, folder: Path) -> list[dict]:
        """The tidy tables, the ledger and the source list, formula-safe, under downloads/."""
        from attrition.core.export import export_sql, tidy_queries
        from attrition.io.outputs import formula_safe

        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for name, sql in tidy_queries(self.ds).items():
            if not self.public and name not in AGGREGATES:  # a private roster's people stay off the site
                continue
            self.ds.engine.write_csv(export_sql(self.ds, sql), folder / name)
            files.append({"name": name, "about": PUBLISHED[name].about})
        if len(self.ds.claims):
            formula_safe(self.ledger).to_csv(folder / "ledger.csv", index=False, lineterminator="\n")
            files.append({"name": "ledger.csv", "about": "every claim, its reading, what the data says, the verdict"})
            feed = {"edition": self.freeze, "known_as_of": self.ds.known_as_of.isoformat() if self.ds.known_as_of else None,
                    "claims": self.ledger.to_dict("records")}
            (folder / "claims.json").write_text(json.dumps(feed, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                                                + "\n", encoding="utf-8")
            files.append({"name": "claims.json", "about": "the claims feed, for machines: every claim with both verdicts "
                                                          "(on what was published when it was written, and now) and "
                                                          "their label; each is also on the ledger page as schema.org "
                                                          "ClaimReview"})
        formula_safe(self.ds.sources.drop(columns="rec")).to_csv(folder / "sources.csv", index=False, lineterminator="\n",
                                                                date_format="%Y-%m-%d")
        files.append({"name": "sources.csv", "about": "every source, with its link and grade"})
        return files

    def _person_page(self, site_dir: Path, person_id: str) -> None:
        """A person's page: each spell's dates as findings (checked by the report), every source's words,
        conflicts side by side, where they went, and the claims about them."""
        from markupsafe import Markup

        from attrition.core.roster import spells
        from attrition.findings.people import spell_dates
        from attrition.site import presentation

        ds = self.ds
        rows = ds.people[ds.people["person_id"] == person_id]
        name = rows["name"].iloc[0]
        table = spells(ds)
        mine = table[table["person_id"] == person_id].sort_values(["start_lo", "company"])
        mine = mine.join(presentation.went_to(ds, mine))
        parts, found = [], []
        for r in mine.itertuples():
            person = rows[rows["company"] == r.company].iloc[0]
            finding = spell_dates(ds, person_id, r.company, int(r.spell), r.cohort, r.end_event, r.status)
            found.append(finding.to_dict())
            sources = presentation.source_links(ds, presentation._ids(f"{r.start_sources};{r.end_sources}"))
            went = Markup(f"{presentation.cell_html(r.went_to)} ({presentation.source_links(ds, [r.went_to_source])})") \
                if r.went_to else ""
            parts.append({"company": ds.company_names[r.company], "role": person["role"], "said": finding.sentence,
                          "came_from": str(person["prior_affiliations"]).replace(";", ", "), "went_to": went,
                          "summary": Markup(f"{presentation.cell_html(finding.sentence)}. Sources: {sources}")})
        self.findings.append((f"people/{person_id}.html", found))
        conflicts = presentation.conflict_table(ds, person_id=person_id)
        moves = presentation.moves_table(ds, person_id)
        about = presentation.select_claims(self.ledger, person=person_id)
        claims = [{"claim_id": c.claim_id, "claim": c.claim, "source": c.publisher, "as_of": c.as_of,
                   "badge": Markup(presentation.verdict_badge(c.verdict))} for c in about.itertuples()]
        body = self.body("person_body.html", name=name, spells=parts,
                         evidence=Markup(presentation.evidence(ds, person_id=person_id).html()),
                         conflicts=Markup(conflicts.html()) if len(conflicts.frame) else "",
                         moves=Markup(moves.html()) if len(moves.frame) else "", claims=claims)
        summary = "; ".join(f"{p['company']}: {p['said']}" for p in parts)
        (site_dir / "people").mkdir(exist_ok=True)
        (site_dir / "people" / f"{person_id}.html").write_text(
            self.page(f"people/{person_id}.html", name, body, answer=summary), encoding="utf-8")


GRADES = {"A": "primary sources and first-tier outlets", "B": "secondary and regional outlets",
          "C": "aggregators, AI-written pages and pages with known errors", "?": "not graded"}


def _by_grade(sources: list[dict]) -> list[dict]:
    """Sources grouped by grade, best first, each group in outlet order."""
    return [{"grade": g, "about": about, "sources": [s for s in sources if s["grade"] == g]}
            for g, about in GRADES.items() if any(s["grade"] == g for s in sources)]
