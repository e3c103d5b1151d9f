"""The site's search: one static index of pages, people, labs, claims and sources, searched in the browser.

The index is JSON wrapped in one assignment (`search-index.js`), because a browser refuses to fetch
a JSON file from a site opened from disk, but runs a script from it. site.js loads it only when a
reader first uses the search box, so no page carries its weight.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Protocol

import pandas as pd

from attrition.io.dataset import Dataset

INDEX = "search-index.js"


class Page(Protocol):
    """A rendered page as the index lists it (attrition.site.pages.Page)."""

    href: str
    title: str
    answer: str


def entries(ds: Dataset, pages: list[Page], texts: dict[str, str], ledger: pd.DataFrame | None,
            story: bool) -> list[dict]:
    """What the search finds, each as kind (k), title (t), detail (d) and link from the site's root (h).

    A lab leads to the page that names it most (`texts`: each page's HTML); people are listed only for
    the story dataset, whose people are named in the press; claims only where the ledger page exists.
    """
    found = [{"k": "page", "t": p.title, "d": p.answer[:200], "h": p.href} for p in pages]
    people = ds.people.drop_duplicates(["person_id", "company"])
    for company, name in sorted(ds.company_names.items(), key=lambda item: item[1]):
        mentions = {href: text.count(escape(name)) for href, text in texts.items()}
        home = max(mentions, key=lambda href: mentions[href], default="")
        if home and mentions[home]:
            title = next(p.title for p in pages if p.href == home)
            count = int((people["company"] == company).sum())
            found.append({"k": "lab", "t": name, "d": f"{count:,} people in the data; most on: {title}", "h": home})
    if story:
        for person_id, rows in people.sort_values(["name", "person_id"]).groupby("person_id", sort=False):
            roles = "; ".join(f"{ds.company_names[r.company]} {r.cohort}" + (f", {r.role}" if isinstance(r.role, str) and r.role else "")
                              for r in rows.itertuples())
            found.append({"k": "person", "t": rows["name"].iloc[0], "d": roles, "h": f"people/{person_id}.html"})
    if ledger is not None and any(p.href == "04_claims_ledger.html" for p in pages):
        for r in ledger.sort_values(["as_of", "claim_id"]).itertuples():
            found.append({"k": "claim", "t": r.claim, "d": f"{r.publisher}, as of {r.as_of}: {r.verdict.replace('_', ' ')}",
                          "h": f"04_claims_ledger.html#claim-{r.claim_id}"})
    for s in ds.sources.sort_values(["publisher", "source_id"]).itertuples():
        when = f", {s.published:%Y-%m-%d}" if pd.notna(s.published) else ""
        found.append({"k": "source", "t": f"{s.publisher}{when}", "d": str(s.title), "h": f"sources.html#{s.source_id}"})
    return found


def write_index(site_dir: Path, ds: Dataset, pages: list[Page], ledger: pd.DataFrame | None, story: bool) -> None:
    """Write search-index.js for the pages already written under `site_dir`."""
    texts = {p.href: (site_dir / p.href).read_text(encoding="utf-8") for p in pages}
    data = json.dumps(entries(ds, pages, texts, ledger, story), ensure_ascii=False, separators=(",", ":"))
    (site_dir / INDEX).write_text(f"window.attritionSearch = {data};\n", encoding="utf-8")
