"""Reader-facing tables: plain headers, no index, dates that never break, every source a link.

The tidy tables stay machine-friendly (one value per cell, bounds in two columns); these functions
turn them into what a reader scans. A `Table` renders its own HTML: text from the data is escaped,
only markup built here (`Html`) passes as is, and on a phone each row becomes a card whose cells
carry their column name.

The same HTML is read in two places: on the site and, as a notebook output, in JupyterLab. So a
link names its site page in `data-site` (a path from the site's root: `sources.html#<id>`,
`people/<id>.html`), which the site turns into the page's own relative link (attrition.site.pages);
its `href` is only what also works in JupyterLab, opened from notebooks/: a source's own web
address, another notebook, or nothing (plain text). Alignment and unbroken dates are inline styles,
the kind JupyterLab keeps in an untrusted notebook; the site's stylesheet does the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Iterable

import pandas as pd

from attrition.core.roster import conflicts, spells
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.text import END_WORDS, format_interval, range_text

STATUS_WORDS = {"departed": "gone", "active": "still there", "uncertain": "leaving date straddles the as-of day",
                "unseen": "last seen {seen:%Y-%m-%d}, not observed since"}
"""How a spell's status (attrition.schema.STATUSES) reads; `unseen` names the last sighting."""


def status_text(status: str, seen_until) -> str:
    """A spell's status in words: 'still there' only up to the last dated sighting, then 'last seen D'."""
    return STATUS_WORDS[status].format(seen=seen_until)


class Html(str):
    """Markup built by this module from escaped parts; a Table cell holding one is not escaped again."""


NOWRAP = "white-space:nowrap"
DATE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?\b")


def unbroken_dates(html: str) -> str:
    """Every ISO date in the text of `html` (not in its tags) kept on one line."""
    parts = re.split(r"(<[^>]*>)", html)
    return "".join(p if p.startswith("<") else DATE.sub(lambda m: f"<span style='{NOWRAP}'>{m.group(0)}</span>", p)
                   for p in parts)


LAB_STYLE = re.compile(r""" style=["'](?:text-align:(?:left|right)(?:;white-space:nowrap)?|table-layout:auto)["']""")
DATE_SPAN = re.compile(rf"""<span style=["']{NOWRAP}["']>""")


def without_lab_styles(html: str) -> str:
    """Tables as the site shows them: the inline styles written for JupyterLab dropped (the site's
    stylesheet does their work, and tables weigh a third less), unbroken dates marked by a class.
    Either quote is matched: nbconvert rewrites outputs' attributes with double quotes."""
    return DATE_SPAN.sub("<span class='date'>", LAB_STYLE.sub("", html))


def site_link(path: str, text: str, lab_href: str = "", extra: str = "") -> Html:
    """A link to a page of the site (`path` from its root) with escaped `text`; in JupyterLab it leads
    to `lab_href` (a web address or a notebook beside this one), or is plain text when that is empty."""
    href = f" href='{escape(lab_href)}'" if lab_href else ""
    return Html(f"<a data-site='{escape(path)}'{href}{extra}>{escape(text)}</a>")


def cell_html(value: object) -> str:
    """One cell: Html as is, missing values blank, everything else escaped text."""
    if isinstance(value, Html):
        return str(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return escape(f"{value:,.6g}")
    if isinstance(value, int):
        return escape(f"{value:,}")
    return escape(str(value))


def filter_key(column: str) -> str:
    """A column's name as a filter's key: in the row's data attribute and the page address (?verdict=...)."""
    return re.sub(r"[^a-z0-9]+", "-", column.lower()).strip("-")


def plain_text(value: object) -> str:
    """A cell as plain text (for the text view of a table): tags of Html cells dropped."""
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", cell_html(value)))


@dataclass
class Table:
    """A table for readers. Dates never break, nor do cells of `nowrap` columns (short phrases such as
    "0.02 to 0.43") on a desktop; `filters` get a drop-down above the table (the ledger), shown by the
    site's script and hidden where no script runs, as in JupyterLab; `row_ids` give each row an anchor
    another page can link to; `numeric` columns align right (on a desktop)."""

    frame: pd.DataFrame
    nowrap: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    row_ids: list[str] | None = None
    name: str = "table"
    numeric: tuple[str, ...] = ()

    def _repr_html_(self) -> str:
        """The table as a notebook output, styled inline for JupyterLab (which right-aligns table text)."""
        return self.html(inline_style=True)

    def html(self, inline_style: bool = False) -> str:
        """The table's HTML; a site page leaves the styling to the site's stylesheet."""
        columns = list(self.frame.columns)
        left = " style='text-align:left'" if inline_style else ""
        head = "".join(f"<th scope='col'{left}>{unbroken_dates(escape(str(c)))}</th>" for c in columns)
        styles = {c: self._style(c, inline_style) for c in columns}
        keys = {c: filter_key(c) for c in self.filters}
        rows = []
        for i, values in enumerate(self.frame.itertuples(index=False)):
            row_id = f" id='{escape(self.row_ids[i])}'" if self.row_ids else ""
            data = "".join(f" data-{keys[c]}='{escape(plain_text(v))}'" for c, v in zip(columns, values) if c in keys)
            cells = "".join(f"<td data-label='{escape(str(c))}'{styles[c]}>{unbroken_dates(cell_html(v))}</td>"
                            for c, v in zip(columns, values))
            rows.append(f"<tr{row_id}{' data-item' if keys else ''}{data}>{cells}</tr>")
        layout = " style='table-layout:auto'" if inline_style else ""
        table = (f"<table class='readable' data-name='{escape(self.name)}'{layout}>"
                 f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        return self._filter_controls() + f"<div class='table-wrap'>{table}</div>"

    def _style(self, column: str, inline_style: bool) -> str:
        """A cell's class, and its alignment and wrapping written inline for JupyterLab when asked."""
        classes = [name for name, on in (("num", column in self.numeric), ("nowrap", column in self.nowrap)) if on]
        style = [f"text-align:{'right' if column in self.numeric else 'left'}"] + ([NOWRAP] if column in self.nowrap else [])
        return (f" class='{' '.join(classes)}'" if classes else "") + (f" style='{';'.join(style)}'" if inline_style else "")

    def _filter_controls(self) -> str:
        """Drop-downs that hide rows not matching (the site's script runs them and keeps the choice in the
        page's address); hidden where no script runs, so the table then simply shows every row. The
        attribute has a value because JupyterLab's sanitiser drops empty ones."""
        if not self.filters:
            return ""
        selects = []
        for column in self.filters:
            options = sorted({plain_text(v) for v in self.frame[column]})
            choices = "".join(f"<option>{escape(o)}</option>" for o in options)
            selects.append(f"<label>{escape(column)} <select name='{filter_key(column)}'><option value=''>all</option>"
                           f"{choices}</select></label>")
        return (f"<div class='filters' hidden='hidden'>Show only: {' '.join(selects)} "
                f"<output>{len(self.frame)} rows</output></div>")

    def __repr__(self) -> str:
        shown = self.frame.map(plain_text)
        return shown.to_string(index=False)


# -- links -----------------------------------------------------------------------------------------

def source_label(source: pd.Series) -> str:
    """'Fortune, 2024-06-28' (publisher and date), how a source is named in tables."""
    published = source["published"]
    return str(source["publisher"]) + (f", {published:%Y-%m-%d}" if pd.notna(published) else "")


def source_link(source: pd.Series, source_id: str, text: str) -> Html:
    """A link to a source's entry on the sources page (title, address, grade); in JupyterLab, to the
    source itself."""
    url = source.get("url")
    web = url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""
    return site_link(f"sources.html#{source_id}", text, web, " class='src'")


def source_links(ds: Dataset, ids: Iterable[str]) -> Html:
    """Links to the sources page, one per id, labelled by publisher and date; a source graded C
    (aggregator, AI-written, known errors) is marked so."""
    table = ds.sources.set_index("source_id")
    links = []
    for source_id in sorted(set(filter(None, ids))):
        source = table.loc[source_id]
        weak = " <span class='grade-c' title='grade C: aggregator, AI-written or known-error page'>(C)</span>" \
            if source.get("grade") == "C" else ""
        links.append(source_link(source, source_id, source_label(source)) + weak)
    return Html("; ".join(links))


def linked_text(ds: Dataset, text: str) -> Html:
    """Escaped text in which every source id it mentions (a note citing a source) becomes a link."""
    table = ds.sources.set_index("source_id")
    parts = re.split(r"([a-z0-9][a-z0-9.-]*[a-z0-9])", escape(str(text or "")))
    return Html("".join(source_link(table.loc[p], p, p) if p in table.index else p for p in parts))


def only_weak(ds: Dataset, ids: Iterable[str]) -> bool:
    """Whether every source behind a fact is graded C (such facts are flagged on every page)."""
    grades = ds.sources.set_index("source_id")["grade"]
    ids = [i for i in ids if i]
    return bool(ids) and all(grades.get(i) == "C" for i in ids)


WEAK_FLAG = " (rests only on grade C sources)"


def person_link(person_id: str, name: str) -> Html:
    """A person's name linking to their page (plain text in JupyterLab, where there are no person pages)."""
    return site_link(f"people/{person_id}.html", name)


LEDGER = "04_claims_ledger"


def claim_link(claim_id: str, text: str) -> Html:
    """Text linking to a claim's row in the ledger page (in JupyterLab, to the ledger notebook)."""
    return site_link(f"{LEDGER}.html#claim-{claim_id}", text, f"{LEDGER}.ipynb")


# -- the roster (01) -------------------------------------------------------------------------------

def _ids(text: str) -> list[str]:
    return [i for i in str(text).split(";") if i]


def _date_cell(ds: Dataset, lo, hi, sources: str, conflict: bool, prefix: str = "") -> str:
    text = prefix + format_interval(lo, hi) + (" (sources disagree)" if conflict else "")
    return text + (WEAK_FLAG if only_weak(ds, _ids(sources)) else "")


def roster(ds: Dataset, company: str, cohorts: tuple[str, ...], as_of: date | str | None = None) -> Table:
    """Who joined and left, with each date's precision and the sources behind it, where each went after
    leaving (with its source), in the order people left."""
    table = spells(ds, Scope.of(ds, company, as_of=as_of))
    table = table[table["cohort"].isin(cohorts)]
    people = ds.people.set_index(["person_id", "company"])
    ended = table["end_lo"].notna()
    moved = went_to(ds, table)
    frame = pd.DataFrame({
        "Name": [person_link(p, n) for p, n in zip(table["person_id"], table["name"])],
        "Cohort": table["cohort"].to_numpy(),
        "Role": [people.loc[(p, c), "role"] for p, c in zip(table["person_id"], table["company"])],
        "Came from": [people.loc[(p, c), "prior_affiliations"].replace(";", ", ")
                      for p, c in zip(table["person_id"], table["company"])],
        "Joined": [_date_cell(ds, r.start_lo, r.start_hi, r.start_sources, r.start_conflict)
                   for r in table.itertuples()],
        "Left": [_date_cell(ds, r.end_lo, r.end_hi, r.end_sources, r.end_conflict, f"{END_WORDS[r.end_event]} ")
                 if e else "" for r, e in zip(table.itertuples(), ended)],
        "Went to": [Html(f"{escape(w)} ({source_links(ds, [s])})") if w else ""
                    for w, s in zip(moved["went_to"], moved["went_to_source"])],
        "Status": [status_text(s, seen) for s, seen in zip(table["status"], table["seen_until"])],
        "Days at the company": [range_text(lo, hi, "{:,}") for lo, hi in zip(table["tenure_lo_days"], table["tenure_hi_days"])],
        "Sources": [source_links(ds, _ids(f"{a};{b}")) for a, b in zip(table["start_sources"], table["end_sources"])],
    })
    order = pd.DataFrame({"end": table["end_lo"].where(ended, pd.Timestamp.max).to_numpy(),
                          "start": table["start_lo"].to_numpy(), "name": table["name"].to_numpy()})
    frame = frame.iloc[order.sort_values(["end", "start", "name"]).index.to_numpy()].reset_index(drop=True) \
        if len(frame) else frame
    return Table(frame, name="roster")


def evidence(ds: Dataset, company: str | None = None, person_id: str | None = None) -> Table:
    """Every dated statement (all of them, never cut short): the range it allows, what it says in our
    words, and the source as a link."""
    ev = ds.evidence
    if company is not None:
        ev = ev[ev["company"] == company]
    if person_id is not None:
        ev = ev[ev["person_id"] == person_id]
    ev = ev.merge(ds.people[["person_id", "company", "name", "cohort"]], on=["person_id", "company"])
    ev = ev.sort_values(["cohort", "name", "spell", "earliest", "source_id"], kind="stable")
    frame = pd.DataFrame({
        "Name": [person_link(p, n) for p, n in zip(ev["person_id"], ev["name"])],
        "Company": ev["company"].map(ds.company_names).to_numpy(),
        "Event": ev["event"].str.replace("_", " ").to_numpy(),
        "Date given": [format_interval(lo, hi) for lo, hi in zip(ev["earliest"], ev["latest"])],
        "What the source says": [linked_text(ds, t) for t in ev["paraphrase"]],
        "Source": [source_links(ds, [s]) for s in ev["source_id"]],
    })
    if company is not None:
        frame = frame.drop(columns="Company")
    if person_id is not None:
        frame = frame.drop(columns="Name")
    return Table(frame, name="evidence")


def conflict_table(ds: Dataset, company: str | None = None, person_id: str | None = None) -> Table:
    """Events whose sources give non-overlapping dates, each version side by side with the range we use."""
    table = conflicts(ds)
    if company is not None:
        table = table[table["company"] == company]
    if person_id is not None:
        table = table[table["person_id"] == person_id]
    names = ds.people.set_index(["person_id", "company"])["name"]
    frame = pd.DataFrame({
        "Name": [person_link(p, names[(p, c)]) for p, c in zip(table["person_id"], table["company"])],
        "Event": table["event"].str.replace("_", " ").to_numpy(),
        "Source": [source_links(ds, [s]) for s in table["source_id"]],
        "Date given": [format_interval(lo, hi) for lo, hi in zip(table["earliest"], table["latest"])],
        "Range we use": [format_interval(lo, hi) for lo, hi in zip(table["resolved_earliest"], table["resolved_latest"])],
        "What the source says": [linked_text(ds, t) for t in table["paraphrase"]],
    })
    if person_id is not None:
        frame = frame.drop(columns="Name")
    return Table(frame, name="conflicts")


def conflict_count(ds: Dataset, company: str) -> int:
    """How many events (person, spell, event) have sources that disagree."""
    table = conflicts(ds)
    return len(table[table["company"] == company][["person_id", "spell", "event"]].drop_duplicates())


def names(ds: Dataset, company: str, person_ids: list[str]) -> list[str]:
    """Display names of people at `company`, in the order given."""
    people = ds.people[ds.people["company"] == company].set_index("person_id")["name"]
    return [people[p] for p in person_ids]


# -- claims (02, 04, index) ------------------------------------------------------------------------

VERDICT_STYLE = {
    "supported": ("#1e8449", "supported"),
    "contradicted": ("#c0392b", "contradicted"),
    "uncertain": ("#b9770e", "uncertain"),
    "not_evaluated": ("#6c7a7b", "not evaluated"),
}


def verdict_badge(verdict: str) -> Html:
    """A coloured label for a verdict that also carries the word (no meaning by colour alone)."""
    color, word = VERDICT_STYLE[verdict]
    return Html(f"<span class='verdict' style='background:{color};color:#fff;white-space:nowrap'>{word}</span>")


def select_claims(ledger: pd.DataFrame, metrics: Iterable[str] | None = None, **params: str) -> pd.DataFrame:
    """The ledger rows (of `metrics`, if given) whose parameters, parsed, hold every `params` value: a claim
    about `p-1` is never taken for one about `p-10`, as a search in the parameters' text would."""
    from attrition.claims.file import parse_params

    parsed = ledger["params"].fillna("").map(parse_params)
    keep = parsed.map(lambda given: all(given.get(k) == v for k, v in params.items()))
    if metrics is not None:
        keep &= ledger["metric"].isin(list(metrics))
    return ledger[keep.to_numpy(dtype=bool)]


def founder_claims(ds: Dataset, ledger: pd.DataFrame, company: str) -> Table:
    """The dated claims about how many of `company`'s founders had left, numbered in date order, each
    with what the source reported and what the ledger's check found. Notebooks 02 and 04 both show
    this one table (and mark its numbers on their charts). Claims before dataset.toml's
    `[report] founder_claims_since` are left out (earlier claims are about single departures)."""
    since = str(ds.config.get("report", {}).get("founder_claims_since", "1700-01-01"))
    rows = select_claims(ledger, ("departed_share", "departed_count"), company=company)
    rows = rows[rows["as_of"] >= since]
    rows = rows.sort_values(["as_of", "claim_id"], kind="stable").reset_index(drop=True)
    frame = pd.DataFrame({
        "#": range(1, len(rows) + 1),
        "As of": rows["as_of"].to_numpy(),
        "Outlet": [claim_link(c, p) for c, p in zip(rows["claim_id"], rows["publisher"])],
        "Claim": rows["claim"].to_numpy(),
        "Source reported": rows["reported"].to_numpy(),
        "Data says": rows["measured"].to_numpy(),
        "Verdict": [verdict_badge(v) for v in rows["verdict"]],
    })
    return Table(frame, name="founder-claims")


def ledger_table(ds: Dataset, ledger: pd.DataFrame, filters: bool = True) -> Table:
    """The claims ledger as one table (one row per claim, one set of columns), filterable by verdict,
    outlet and year; each row has the anchor `claim-<id>` the index and other pages link to."""
    from attrition.claims.ledger import BASES

    rows = ledger.sort_values(["as_of", "publisher", "claim_id"], kind="stable").reset_index(drop=True)
    frame = pd.DataFrame({
        "Verdict": [verdict_badge(v) for v in rows["verdict"]],
        "Then and now": rows["label"].to_numpy(),
        "As of": rows["as_of"].to_numpy(),
        "Year": rows["as_of"].str[:4].to_numpy(),
        "Outlet": [source_links(ds, [s]) for s in rows["source_id"]],
        "Claim": rows["claim"].to_numpy(),
        "Claim says": rows["reported"].to_numpy(),
        "Data says": [_now_and_then(r) for r in rows.itertuples()],
        "What the verdict rests on": rows["basis"].map(BASES).to_numpy(),
        "Reading": [linked_text(ds, n) for n in rows["note"]],
    })
    return Table(frame, filters=("Verdict", "Then and now", "Year", "Outlet") if filters else (),
                 row_ids=[f"claim-{c}" for c in rows["claim_id"]], name="ledger")


def _now_and_then(row) -> Html | str:
    """What the data says now and, below it, what it said on the sources published when the claim was written."""
    now = row.measured if row.verdict != "not_evaluated" else ""
    if row.label == "not checkable" or not row.measured_then:
        return now
    then = f"when written ({row.verdict_then.replace('_', ' ')}, sources published by {row.known_then}): {row.measured_then}"
    return Html(f"{escape(now)}<br><span class='meta'>{escape(then)}</span>" if now else
                f"<span class='meta'>{escape(then)}</span>")


def flips_table(ds: Dataset, ledger: pd.DataFrame, flips: list) -> Table:
    """The claims whose verdict changed since they were written (attrition.claims.flips), with the day it changed
    and the sources that changed it: a source without a publication date cannot be placed on a day."""
    rows = ledger.set_index("claim_id")
    frame = pd.DataFrame({
        "Claim": [claim_link(f.claim_id, rows.loc[f.claim_id, "claim"]) for f in flips],
        "Written": [rows.loc[f.claim_id, "known_then"] for f in flips],
        "Then": [verdict_badge(f.then) for f in flips],
        "Now": [verdict_badge(f.now) for f in flips],
        "Changed on": [f.day or "no date: by undated sources" for f in flips],
        "Changed by": [source_links(ds, f.sources) for f in flips],
    })
    return Table(frame, nowrap=("Written", "Then", "Now"), name="flips")


RATINGS = {"contradicted": 1, "uncertain": 2, "supported": 3}
"""A verdict as a schema.org rating (worst 1, best 3); a claim not evaluated has no rating value."""


@dataclass(frozen=True)
class Script:
    """Markup a page carries but does not show (JSON-LD for machines), displayable in a notebook."""

    html: str
    about: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.about


def claim_reviews(ds: Dataset, ledger: pd.DataFrame, page: str = "04_claims_ledger.html") -> Script:
    """Every ledger row as a schema.org ClaimReview, in one JSON-LD script (what fact-check readers and search
    engines read): the claim, who made it and when, the verdict on today's data with its label, and the page row
    it links to (absolute under dataset.toml's [report] site_url when that is known)."""
    import json

    home = str(ds.config.get("report", {}).get("site_url", "")).rstrip("/")
    base = f"{home}/{page}" if home else page
    reviews = []
    for row in ledger.itertuples():
        claim = {"@type": "Claim", "author": {"@type": "Organization", "name": row.publisher},
                 "datePublished": row.published or row.as_of}
        if isinstance(row.url, str) and row.url.startswith(("https://", "http://")):
            claim["appearance"] = {"@type": "CreativeWork", "url": row.url}
        word = VERDICT_STYLE[row.verdict][1]
        rating = {"@type": "Rating", "alternateName": f"{word.capitalize()}"
                  + ("" if row.label == "not checkable" else f" ({row.label})")}
        if row.verdict in RATINGS:
            rating.update(ratingValue=RATINGS[row.verdict], worstRating=1, bestRating=3)
        reviews.append({"@type": "ClaimReview", "url": f"{base}#claim-{row.claim_id}", "claimReviewed": row.claim,
                        "datePublished": ds.freeze_date.isoformat(), "author": {"@id": "#attrition"},
                        "itemReviewed": claim, "reviewRating": rating})
    graph = {"@context": "https://schema.org",
             "@graph": [{"@type": "Organization", "@id": "#attrition", "name": "attrition"}, *reviews]}
    text = json.dumps(graph, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace("<", "\\u003c")
    return Script(f"<script type='application/ld+json'>{text}</script>",
                  f"schema.org ClaimReview (JSON-LD) for {len(reviews)} claims")


def outlet_summary(ds: Dataset, ledger: pd.DataFrame) -> Table:
    """One row per source (publisher and date, so two pieces by one outlet stay apart): its verdicts."""
    from attrition.claims.ledger import VERDICTS

    counts = ledger.pivot_table(index="source_id", columns="verdict", values="claim_id", aggfunc="count",
                                fill_value=0).reindex(columns=list(VERDICTS), fill_value=0)
    first = ledger.groupby("source_id")["as_of"].min()
    order = first.reset_index().sort_values(["as_of", "source_id"])["source_id"]
    frame = pd.DataFrame({
        "Source": [source_links(ds, [s]) for s in order],
        "First claim as of": first[order].to_numpy(),
        **{VERDICT_STYLE[v][1].capitalize(): counts.loc[order, v].to_numpy() for v in VERDICTS},
    })
    return Table(frame, numeric=tuple(VERDICT_STYLE[v][1].capitalize() for v in VERDICTS),
                 name="outlets")


# -- peers (05, the standard report) -----------------------------------------------------------------

def share_gone(row: dict | pd.Series, years: float) -> str:
    """'92% (95% interval 62% to 99%)', or 'at least 83%' where follow-up stops short, or 'not yet observable'."""
    value, floor = row[f"gone_{years:g}y"], row[f"gone_{years:g}y_at_least"]
    if pd.isna(value):
        return f"at least {floor:.0%}" if floor > 0 else "not yet observable"
    lo, hi = row[f"gone_{years:g}y_ci_lower"], row[f"gone_{years:g}y_ci_upper"]
    return f"{value:.0%}" + ("" if round(lo, 2) == round(hi, 2) else f" (95% interval {lo:.0%} to {hi:.0%})")


def survival_summary(table: pd.DataFrame, key: str, label: str, names: dict | pd.Series,
                     at_years: tuple[float, ...]) -> Table:
    """peers.survival_table (rows keyed by column `key`) for readers: one row per lab or group, named
    by `names`, with the shares gone and their intervals."""
    from attrition.text import days_and_years

    frame = pd.DataFrame({
        label: table[key].astype(str).map(lambda k: names.get(k, k)).to_numpy(),
        "People": table["n"].to_numpy(),
        "Left": table["left"].to_numpy(),
        "Median tenure": [days_and_years(v) for v in table["median_days"]],
        **{f"Gone within {y:g} year{'s' if y != 1 else ''}": [share_gone(r, y) for r in table.to_dict("records")]
           for y in at_years},
    })
    if "caveat" in table:
        frame["Caveat"] = table["caveat"].to_numpy()
    return Table(frame.sort_values(label, kind="stable").reset_index(drop=True), numeric=("People", "Left"),
                 name="survival")


def rank_table(ds: Dataset, at_years: tuple[float, ...] = (1, 2, 3), cohort: str = "founder") -> Table:
    """Every lab's share gone within each of `at_years` (those still there counted up to the freeze date), its rank
    (1 = the most gone) and its simultaneous 95% confidence set of ranks (attrition.measures.peers.rank_sets)
    among the labs followed that long; a lab not followed that long says so."""
    from attrition.measures import peers

    names = ds.company_names
    frame = pd.DataFrame({"Lab": sorted(names, key=lambda c: names[c].lower())})
    order = None
    for years in at_years:
        ranked = peers.rank_sets(ds, cohort, years).set_index("company")
        within = f"{years:g} year{'s' if years != 1 else ''}"
        column = f"gone_{years:g}y"
        share = ranked[column].map(lambda v: f"{v:.0%}") + " (" + ranked[f"{column}_ci_lower"].map(
            lambda v: f"{v:.0%}") + " to " + ranked[f"{column}_ci_upper"].map(lambda v: f"{v:.0%}") + ")"
        sets = (ranked["rank"].astype(str) + " (" + ranked["rank_best"].astype(str) + " to "
                + ranked["rank_worst"].astype(str) + " of " + str(len(ranked)) + ")")
        frame[f"Gone within {within} (95% interval)"] = frame["Lab"].map(share).fillna("not followed that long")
        frame[f"Rank within {within} (95% set)"] = frame["Lab"].map(sets).fillna("")
        order = frame["Lab"].map(ranked["rank"]).fillna(len(names) + 1)
    frame = frame.assign(_order=order).sort_values(["_order", "Lab"], kind="stable").drop(columns="_order")
    frame["Lab"] = frame["Lab"].map(names)
    return Table(frame.reset_index(drop=True), name="rank-sets")


def base_rate_table(ds: Dataset) -> Table:
    """The published base rates (base_rates.csv) as their studies give them: the figure as worded, what it counts,
    from when, within how long, who was studied, and the source."""
    from attrition.measures.base_rates import MEASURE_WORDS

    rates = ds.frame("base_rates")
    frame = pd.DataFrame({
        "Study": rates["study"].to_numpy(),
        "As the source words it": rates["stated_as"].to_numpy(),
        "Share": [f"{v:.1%}" for v in rates["share"]],
        "Counts founders who": rates["measure"].map(MEASURE_WORDS).to_numpy(),
        "Clock starts at": rates["clock"].to_numpy(),
        "Within": [f"{v:g} years" if pd.notna(v) else "no fixed time" for v in rates["horizon_years"]],
        "Who was studied": rates["population"].to_numpy(),
        "Source": [source_links(ds, [s]) for s in rates["source_id"]],
    })
    return Table(frame, nowrap=("Share",), name="base-rates")


def beside_base_rates(ds: Dataset, cohort: str = "founder") -> Table:
    """Every lab's founding team beside each base rate read at a number of years (base_rates.team_tails): how many
    left within those years of joining, and the exact probability of at least that many had each left with the
    rate's chance, independently ('at most' where the team was not followed that long, so the count is a floor)."""
    from attrition.measures.base_rates import odds, rate_ids, rate_row, team_tails

    names = ds.company_names
    frame = pd.DataFrame({"Lab": sorted(names, key=lambda c: names[c].lower())})
    for rate_id in rate_ids(ds, with_horizon=True):
        row = rate_row(ds, rate_id)
        teams = pd.DataFrame(team_tails(ds, rate_id, Scope.of(ds, cohort=cohort))).set_index("company")
        years = f"Gone within {row['horizon_years']:g} years"
        if years not in frame:
            gone = teams["gone_lo"].astype(str).where(teams["gone_lo"] == teams["gone_hi"],
                                                      teams["gone_lo"].astype(str) + " to " + teams["gone_hi"].astype(str))
            frame[years] = frame["Lab"].map(gone + " of " + teams["n"].astype(str)
                                            + teams["followed"].map({True: "", False: " so far"}))
        chance = pd.Series([("" if f else "at most ") + odds(lo, hi) for f, lo, hi in
                            zip(teams["followed"], teams["p_lo"], teams["p_hi"])], index=teams.index)
        frame[f"At {row['share']:.1%} ({row['study']})"] = frame["Lab"].map(chance)
    frame["Lab"] = frame["Lab"].map(names)
    return Table(frame, name="beside-base-rates")


def team_variant_table(ds: Dataset, table: pd.DataFrame) -> Table:
    """peers.team_variant_table for readers: each definition of a lab's founding team and how many of
    its members had left, with the range dated intervals allow."""
    counted = table["den_hi"].notna()
    left = [range_text(int(lo), int(hi)) + f" of {range_text(int(dl), int(dh))}" if ok else "not computed"
            for ok, lo, hi, dl, dh in zip(counted, table["num_lo"].fillna(0), table["num_hi"].fillna(0),
                                          table["den_lo"].fillna(0), table["den_hi"].fillna(0))]
    share = [range_text(lo * 100, hi * 100, "{:.0f}%") if ok else "" for ok, lo, hi in
             zip(counted, table["share_lo"].fillna(0), table["share_hi"].fillna(0))]
    frame = pd.DataFrame({
        "Lab": table["company"].map(ds.company_names).to_numpy(),
        "Team": ["Our rule" if v == "rule" else f"Variant {v}" for v in table["variant"]],
        "Who counts": table["definition"].to_numpy(),
        f"Left by {ds.freeze_date}": left,
        "Share left": share,
        "Members in the data": table["members"].replace("", "none named").to_numpy(),
    })
    return Table(frame, name="team-variants")


def destination_table(ds: Dataset, cohort: str | None = "founder") -> Table:
    """Per lab: how many of a cohort had left, and how many went to each kind of destination (moves.csv)."""
    from attrition.measures import flows

    table = flows.departures(ds, Scope.of(ds, cohort=cohort))
    gone = table[table["category"] != ""]
    counts = pd.crosstab(gone["company"], gone["category"]).reindex(columns=[c for c in flows.CATEGORY_WORDS
                                                                              if c in set(gone["category"])])
    size = table.groupby("company").size()
    frame = pd.DataFrame({"Lab": size.index.map(ds.company_names), "People": size.to_numpy(),
                          "Left": gone.groupby("company").size().reindex(size.index, fill_value=0).to_numpy()})
    for category in counts.columns:
        words = flows.CATEGORY_WORDS[category]
        frame[words[0].upper() + words[1:]] = counts[category].reindex(size.index, fill_value=0).to_numpy()
    return Table(frame, numeric=tuple(frame.columns[1:]), name="destinations")


# -- people's pages and the corrections log --------------------------------------------------------

def went_to(ds: Dataset, table: pd.DataFrame) -> pd.DataFrame:
    """Where each spell of a spells table (person_id, company, spell) led, from moves.csv: `went_to` in
    words ("joined another AI lab: Morph Labs"; "" where no destination is recorded or the spell has
    not ended) and `went_to_source`, the source id saying so. Where several sources give a move, the first in
    moves.csv that names a destination speaks for it."""
    moves = ds.frame("moves")[["person_id", "company", "spell", "destination", "category", "source_id"]]
    moves = moves.assign(_unknown=moves["category"] == "unknown").sort_values("_unknown", kind="stable").drop_duplicates(
        ["person_id", "company", "spell"]).drop(columns="_unknown")
    rows = table[["person_id", "company", "spell"]].merge(moves, on=["person_id", "company", "spell"], how="left")
    known = rows["category"].notna() & (rows["category"] != "unknown") & table["end_lo"].notna().to_numpy()
    from attrition.measures.flows import CATEGORY_WORDS

    kind = rows["category"].map(CATEGORY_WORDS).fillna("")
    words = kind.where(rows["destination"].fillna("") == "", kind + ": " + rows["destination"].fillna(""))
    return pd.DataFrame({"went_to": words.where(known, "").to_numpy(),
                         "went_to_source": rows["source_id"].where(known, "").to_numpy()}, index=table.index)


def moves_table(ds: Dataset, person_id: str) -> Table:
    """Where a person went after each departure, with the source's words and the source linked."""
    from attrition.measures.flows import CATEGORY_WORDS

    moves = ds.frame("moves")
    moves = moves[moves["person_id"] == person_id]
    frame = pd.DataFrame({
        "Left": moves["company"].map(ds.company_names).to_numpy(),
        "Went to": moves["destination"].fillna("").to_numpy(),
        "Kind of move": moves["category"].map(CATEGORY_WORDS).to_numpy(),
        "When": [format_interval(lo, hi) if pd.notna(lo) else "" for lo, hi in zip(moves["earliest"], moves["latest"])],
        "What the source says": [linked_text(ds, t) for t in moves["paraphrase"]],
        "Source": [source_links(ds, [s]) for s in moves["source_id"]],
    })
    return Table(frame, name="moves")


def _range_words(text: str) -> str:
    """A logged interval (`first..last`) as a reader says it; a value that is not one (a team variant) as is."""
    from attrition.site.editions import INTERVAL

    found = INTERVAL.fullmatch(str(text).strip())
    if not found:
        return str(text) or "none"
    return format_interval(date.fromisoformat(found[1]), date.fromisoformat(found[2]))


def corrections_table(ds: Dataset, moved: list | None = None) -> Table:
    """The corrections log for readers, newest edition first: what changed, from what to what, why (in plain
    words: research notes stay in the data files), on which sources, and which pages it moved (`moved`, from
    attrition.site.editions; None when the previous edition could not be rebuilt)."""
    from attrition.site.editions import WORDS

    log = ds.frame("corrections").fillna("").sort_values(["edition", "person_id", "spell", "event"],
                                                           ascending=[False, True, True, True], kind="stable")
    names = ds.people.drop_duplicates("person_id").set_index("person_id")["name"]

    def pages(person: str, company: str) -> Html | str:
        if moved is None:
            return "not known"
        hits = sorted({m.page for m in moved if m.person == person or (m.company == company and not m.person)})
        return Html(", ".join(f"<a href='{escape(p)}'>{escape(p)}</a>" for p in hits)) if hits else "nothing shown"

    frame = pd.DataFrame({
        "Edition": log["edition"].astype(str).str[:10].to_numpy(),
        "Who": [person_link(p, names.get(p, p)) for p in log["person_id"]],
        "Company": log["company"].map(ds.company_names).to_numpy(),
        "What changed": [f"{e.replace('_', ' ') or 'team'}: {WORDS[c][0]}" + (
            "" if c == "paraphrase_fixed" else
            f", from {_range_words(b)} to {_range_words(a)}" if b and a and b != a else
            f", {_range_words(a)}" if a else "")
            for e, c, b, a in zip(log["event"], log["change"], log["before"], log["after"])],
        "Why": [WORDS[c][1] for c in log["change"]],
        "Sources": [source_links(ds, _ids(s)) for s in log["source_ids"]],
        "Pages it moved": [pages(p, c) for p, c in zip(log["person_id"], log["company"])],
    })
    return Table(frame, nowrap=("Edition",), filters=("Company",), name="corrections")


def edition_table(edition) -> Table:
    """A dataset edition (attrition.site.editions.Edition) for readers: what it holds, and what it changed against the
    previous edition (facts added, intervals narrowed, verdicts flipped), or that the previous one could not be
    rebuilt."""
    from attrition.site.editions import COUNTED

    changes = edition.changes
    rows = [("Edition", edition.date), ("Companies", f"{edition.counts['companies']:,}"),
            *((words.capitalize(), f"{edition.counts[table]:,}") for table, words in COUNTED.items())]
    if changes is None:
        rows.append(("Against the previous edition", "not known: it could not be rebuilt from the log"))
    else:
        rows += [("Dated statements added since the previous edition", f"{changes['statements_added']:,}"),
                 ("Dated statements removed", f"{changes['statements_removed']:,}"),
                 ("Date ranges narrowed", f"{changes['intervals_narrowed']:,}"),
                 ("Date ranges widened", f"{changes['intervals_widened']:,}"),
                 ("People added", f"{changes['people_added']:,}"),
                 ("Claim verdicts flipped", ", ".join(f"{c} ({b.replace('_', ' ')} to {a.replace('_', ' ')})"
                                                      for c, b, a in edition.flipped) or "none")]
    return Table(pd.DataFrame(rows, columns=["What", "This edition"]), name="edition")


def moved_table(moved: list) -> Table:
    """Every published number or verdict this edition moved, page by page: what the page says, before and now."""
    rows = sorted(moved, key=lambda m: (m.page, m.what))
    frame = pd.DataFrame({
        "Page": [Html(f"<a href='{escape(m.page)}'>{escape(m.page)}</a>") for m in rows],
        "Number or verdict": [m.what for m in rows],
        "Before this edition": [m.before for m in rows],
        "Now": [m.after for m in rows],
    })
    return Table(frame, name="moved")


# -- an open roster against published figures (06) ------------------------------------------------

def open_coverage_table(open_ds: Dataset, folder) -> Table:
    """Per lab: what the open roster holds, how much of it is usable, and how much of it was re-checked."""
    from attrition.io.importers import aiwatch

    cov = aiwatch.coverage(folder)
    frame = pd.DataFrame({"Lab": cov["organization"], "Positions": cov["positions"],
                          "Left out (no usable date)": cov["left_out"], "People": cov["people"],
                          "Spells (positions merged)": cov["spells"], "Still listed": cov["open_spells"],
                          "Of those, ever reviewed": cov["open_reviewed"]})
    return Table(frame, numeric=tuple(frame.columns[1:]), name="open-roster-coverage")


def _ratio_text(row: pd.Series) -> str:
    if row["there"] + row["back"] == 0:
        return "no moves either way: the open roster cannot say"
    if row["back"] == 0:
        return f"{row['there']:.0f} moves there, none back: at least {row['ci_lower']:.1f} to 1 (95%)"
    upper = "no upper limit" if row["ci_upper"] == float("inf") else f"{row['ci_upper']:.1f}"
    return f"{row['ratio']:.1f} to 1 ({row['there']:.0f} there, {row['back']:.0f} back; 95%: {row['ci_lower']:.1f} to {upper})"


def published_comparison_table(ds: Dataset, open_ds: Dataset, source_id: str) -> Table:
    """Each published figure of `source_id` beside what the open roster shows, with what that rests on."""
    from attrition.claims import open_data

    table = open_data.published_against_open(ds, open_ds, source_id)
    pct = lambda v: f"{v:.0%}"
    rows = []
    for row in table.to_dict("records"):  # a handful of claims, each worded differently
        if row["measure"] == "retention":
            measured = (f"{pct(row['retained_observed'])} ({pct(row['ci_lower_observed'])} to "
                        f"{pct(row['ci_upper_observed'])}) followed to last review; {pct(row['retained_freeze'])} "
                        f"({pct(row['ci_lower_freeze'])} to {pct(row['ci_upper_freeze'])}) if still listed means still there")
            rows.append((row["claim"], pct(row["published"]), measured, f"{int(row['people']):,} people, {int(row['left']):,} left"))
        else:
            listed = f"; {row['still_listed']:.0f} more joined the other lab while still listed" if row["still_listed"] else ""
            rows.append((row["claim"], f"{row['published']:g} to 1", _ratio_text(pd.Series(row)),
                         f"people the roster shows leaving one lab and joining the other{listed}"))
    frame = pd.DataFrame(rows, columns=["Published claim", "Published", "Open roster (95% interval)", "Based on"])
    return Table(frame, name="published-against-open")


def hazard_table(ds: Dataset, comparisons) -> Table:
    """Labs (or groups) against a reference, one row per finding of attrition.findings.survival.comparison:
    the hazard ratio, its interval, the log-rank p-value and the direction the interval gives."""
    from attrition.text import p_value_text

    rows = [(f, r) for f in comparisons for r in f.results if r.metric == "hazard_ratio" and r.lo is not None]
    frame = pd.DataFrame({
        "Compared": [r.details["group_words"] for _, r in rows],
        "With": [r.details["versus_words"] for _, r in rows],
        "Hazard ratio": [f"{r.details['estimate']:.2f}" for _, r in rows],
        "95% interval": [f"{r.lo:.2f} to {r.hi:.2f}" for _, r in rows],
        "p-value": [p_value_text(r.details["p_value"]) for _, r in rows],
        "Reading": [{"higher": "left more often", "lower": "left less often",
                     "no clear difference": "no clear difference"}[f.direction] for f, _ in rows],
    })
    return Table(frame, nowrap=("95% interval", "p-value"), name="hazard-ratios")


def who_is_there(ds: Dataset, company: str, cohort: str | None = None) -> Table:
    """Everyone the roster names at a company, by cohort and group where there are groups: how many had left,
    how many a source shows there on the as-of day, and how many were last seen earlier. Each person counts
    once, by their latest spell, as the headcount does (someone who came back is there)."""
    from attrition.core.roster import latest_spells

    table = latest_spells(ds, Scope.of(ds, company, cohort))
    keys = ["cohort"] + (["group"] if (table["group"] != "").any() else [])
    counted = table.assign(left=table["status"].isin(["departed", "uncertain"]), there=table["status"] == "active",
                           unseen=table["status"] == "unseen")
    grouped = counted.groupby(keys).agg(People=("person_id", "size"), Left=("left", "sum"),
                                        **{"Still there": ("there", "sum"), "Last seen earlier": ("unseen", "sum")})
    frame = grouped.reset_index().rename(columns={k: k.capitalize() for k in keys})
    return Table(frame, numeric=("People", "Left", "Still there", "Last seen earlier"), name="who-is-there")


def _share_cell(value: float, lower: float, upper: float) -> str:
    """'93% (84% to 97%)', or the share alone where its interval has no width."""
    return f"{value:.0%}" + ("" if round(lower, 2) == round(upper, 2) else f" ({lower:.0%} to {upper:.0%})")


def reason_table(ds: Dataset, company: str, cohort: str | None, at_years: tuple[float, ...]) -> Table:
    """Why people left: per reason, how many, and the share gone for it within each number of years of joining,
    with 95% intervals (attrition.measures.reasons)."""
    from attrition.measures import reasons

    rows = reasons.by_reason(ds, reasons.leavers(ds, Scope.of(ds, company, cohort)), at_years)
    years = [f"{y:g}" for y in at_years]
    frame = pd.DataFrame({
        "Reason": [r["reason"] for r in rows],
        "People": [r["people"] for r in rows],
        **{f"Gone for it within {y} year{'s' if y != '1' else ''}":
           [_share_cell(*(r["within_years"][y][k] for k in ("incidence", "lower", "upper")))
            if y in r["within_years"] else "not yet observable" for r in rows] for y in years},
    })
    return Table(frame, numeric=("People",), name="reasons")


def cohort_grid(ds: Dataset, company: str, cohort: str | None, at_years: tuple[float, ...] = (1, 2, 3)) -> Table:
    """The retention grid: one row per start period, the share still there after each number of years with its
    95% interval; "not yet" where no one in the cohort was followed that long (attrition.measures.cohorts)."""
    from attrition.measures import cohorts

    table, unit = cohorts.cohort_table(ds, company, cohort, at_years)

    def cell(row: dict, years: float) -> str:
        key = f"still_{years:g}y"
        if not pd.isna(row[key]):
            return _share_cell(row[key], row[f"{key}_lower"], row[f"{key}_upper"])
        return "not yet" if row["followed_days"] < years * 365.25 else "not observed from joining"

    records = table.to_dict("records")
    frame = pd.DataFrame({
        f"Started ({unit})": table["period"].to_numpy(),
        "People": table["people"].to_numpy(),
        "Left": table["left"].to_numpy(),
        **{f"Still there after {y:g} year{'s' if y != 1 else ''}": [cell(r, y) for r in records] for y in at_years},
    })
    return Table(frame, numeric=("People", "Left"), name="cohorts")


def return_histories(ds: Dataset, company: str, cohort: str | None, public: bool, limit: int = 25) -> Table:
    """Everyone who came back, one line each: joined, left (and why), returned, left again or still there, every
    date as the range its sources allow. Named only on a public roster; otherwise "person 1", "person 2", in
    order of first joining. At most `limit` people, those with the most spells first."""
    from attrition.measures.returns import histories

    spells = histories(ds, company, cohort)
    if spells.empty:
        return Table(pd.DataFrame({"Person": [], "Spells": [], "History": []}), name="returns")
    order = spells.groupby("person_id", sort=False).agg(first=("first_start", "min"), spells=("spell", "max"))
    order["label"] = [f"person {i}" for i in range(1, len(order) + 1)]
    shown = order.sort_values(["spells", "first"], ascending=[False, True], kind="stable").head(limit)
    lines = []
    for person, row in shown.iterrows():
        parts = []
        for s in spells[spells["person_id"] == person].itertuples():
            parts.append(f"{'joined' if s.spell == 1 else 'returned'} {format_interval(s.start_lo, s.start_hi)}")
            if s.end_event:
                why = f" ({s.end_reason})" if s.end_reason else ""
                parts.append(f"{END_WORDS[s.end_event]} {format_interval(s.end_lo, s.end_hi)}{why}")
            else:
                parts.append(status_text(s.status, s.seen_until) if s.status == "unseen" else "still there")
        name = spells.loc[spells["person_id"] == person, "name"].iloc[0]
        lines.append((name if public else row["label"], int(row["spells"]), "; ".join(parts)))
    frame = pd.DataFrame(lines, columns=["Person", "Spells", "History"])
    return Table(frame, numeric=("Spells",), name="returns")


# -- the front page ------------------------------------------------------------------------------------

def latest_departures(ds: Dataset, count: int = 8) -> Table:
    """The most recent departures at any company, newest first: when, who, from where, where they went,
    and the sources for each."""
    table = spells(ds)
    gone = table[table["end_lo"].notna()].sort_values(["end_hi", "end_lo", "name"], ascending=[False, False, True],
                                                       kind="stable").head(count)
    moved = went_to(ds, gone)
    frame = pd.DataFrame({
        "When": [f"{END_WORDS[e]} {format_interval(lo, hi)}" for e, lo, hi in zip(gone["end_event"], gone["end_lo"],
                                                                                 gone["end_hi"])],
        "Who": [person_link(p, n) for p, n in zip(gone["person_id"], gone["name"])],
        "Company": gone["company"].map(ds.company_names).to_numpy(),
        "Went to": [w or "not reported" for w in moved["went_to"]],
        "Sources": [source_links(ds, _ids(f"{e};{m}")) for e, m in zip(gone["end_sources"], moved["went_to_source"])],
    })
    return Table(frame, name="latest-departures")
