"""Reader-facing versions of the tidy tables: sorted, dates as dates, ranges spelled out.

The tidy tables stay machine-friendly (one value per cell, bounds in two columns); these functions
turn them into what a reader of a notebook or report wants to scan.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from attrition.dataset import Dataset
from attrition.roster import conflicts, spells
from attrition.text import END_WORDS, format_interval, range_text

STATUS_WORDS = {"departed": "gone", "active": "still there", "uncertain": "leaving date straddles the as-of day"}


def roster(ds: Dataset, company: str, cohorts: tuple[str, ...], as_of: date | str | None = None) -> pd.DataFrame:
    """Who joined and left, with each date's precision and the sources behind it."""
    table = spells(ds, as_of, company)
    table = table[table["cohort"].isin(cohorts)]
    people = ds.people.set_index(["person_id", "company"])
    rows = []
    for row in table.itertuples():
        person = people.loc[(row.person_id, row.company)]
        ended = isinstance(row.end_lo, pd.Timestamp)
        rows.append({
            "Name": row.name,
            "Cohort": row.cohort,
            "Role": person["role"],
            "Came from": person["prior_affiliations"].replace(";", ", "),
            "Joined": format_interval(row.start_lo, row.start_hi) + (" (sources disagree)" if row.start_conflict else ""),
            "Left": (f"{END_WORDS[row.end_event]} {format_interval(row.end_lo, row.end_hi)}"
                     + (" (sources disagree)" if row.end_conflict else "")) if ended else "",
            "Status": STATUS_WORDS[row.status],
            "Days at the company": range_text(row.tenure_lo_days, row.tenure_hi_days, "{:,}"),
            "Sources": ", ".join(sorted(set(filter(None, f"{row.start_sources};{row.end_sources}".split(";"))))),
            "_sort": (row.end_lo if ended else pd.Timestamp.max, row.start_lo, row.name),
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values("_sort").drop(columns="_sort").set_index("Name")


def sources_behind_dates(ds: Dataset, company: str) -> pd.DataFrame:
    """Every dated statement, with what the source says and who published it when."""
    ev = ds.evidence[ds.evidence["company"] == company].merge(
        ds.people[["person_id", "company", "name", "cohort"]], on=["person_id", "company"])
    ev = ev.merge(ds.sources[["source_id", "publisher", "published", "url"]], on="source_id", how="left")
    ev = ev.sort_values(["cohort", "name", "spell", "earliest", "source_id"])
    return pd.DataFrame({
        "Name": ev["name"],
        "Event": ev["event"].str.replace("_", " "),
        "Date given": [format_interval(lo, hi) for lo, hi in zip(ev["earliest"], ev["latest"])],
        "What the source says": ev["paraphrase"],
        "Source": ev["publisher"] + ev["published"].map(lambda d: f", {d:%Y-%m-%d}" if pd.notna(d) else ""),
        "source_id": ev["source_id"],
    }).set_index("Name")


def conflict_table(ds: Dataset, company: str) -> pd.DataFrame:
    """Events whose sources give non-overlapping dates, each version side by side."""
    table = conflicts(ds)
    table = table[table["company"] == company]
    names = ds.people.set_index(["person_id", "company"])["name"]
    publishers = ds.sources.set_index("source_id")["publisher"]
    return pd.DataFrame({
        "Name": [names[(p, c)] for p, c in zip(table["person_id"], table["company"])],
        "Event": table["event"].str.replace("_", " "),
        "Source": table["source_id"].map(publishers),
        "Date given": [format_interval(lo, hi) for lo, hi in zip(table["earliest"], table["latest"])],
        "Range we use": [format_interval(lo, hi) for lo, hi in zip(table["resolved_earliest"], table["resolved_latest"])],
        "What the source says": table["paraphrase"],
    }).set_index("Name")


def names(ds: Dataset, company: str, person_ids: list[str]) -> list[str]:
    """Display names of people at `company`, in the order given."""
    people = ds.people[ds.people["company"] == company].set_index("person_id")["name"]
    return [people[p] for p in person_ids]


def departed_on_dates(ds: Dataset, company: str, cohort: str, dates: dict[str, date | str],
                      without: list[str]) -> pd.DataFrame:
    """What the data says on each named date, with and without some people in the denominator."""
    from attrition.metrics import departed_share

    def cell(result) -> str:
        num = range_text(result.numerator["lo"], result.numerator["hi"])
        den = range_text(result.denominator["lo"], result.denominator["hi"])
        pct = f"{result.lo:.1%}" if result.lo == result.hi else f"{result.lo:.1%} to {result.hi:.1%}"
        return f"{num} of {den} ({pct})"

    label = ", ".join(names(ds, company, without))
    rows = []
    for what, day in sorted(dates.items(), key=lambda kv: (str(kv[1]), kv[0])):
        rows.append({
            "Date": pd.Timestamp(day).strftime("%Y-%m-%d"),
            "Headline or source": what,
            "Departed, everyone counted": cell(departed_share(ds, company, cohort, day)),
            f"Departed, without {label}": cell(departed_share(ds, company, cohort, day, exclude=without)),
        })
    return pd.DataFrame(rows)



VERDICT_STYLE = {
    "supported": ("#1e8449", "supported"),
    "contradicted": ("#c0392b", "contradicted"),
    "uncertain": ("#b9770e", "uncertain"),
    "not_evaluated": ("#7f8c8d", "not evaluated"),
}


def verdict_badge(verdict: str) -> str:
    """A coloured label for a verdict, as inline HTML (no script, no external style)."""
    color, word = VERDICT_STYLE[verdict]
    return (f'<span style="background:{color};color:white;padding:1px 6px;border-radius:3px;'
            f'font-weight:bold;white-space:nowrap">{word}</span>')


def ledger_html(ledger: pd.DataFrame) -> str:
    """The claims ledger grouped by article (earliest first), verdicts colour-coded, all text escaped."""
    from html import escape

    parts = []
    order = ledger.assign(_first=ledger.groupby("source_id")["as_of"].transform("min"))
    for source_id, rows in order.sort_values(["_first", "source_id", "as_of", "claim_id"]).groupby("source_id", sort=False):
        head = rows.iloc[0]
        when = f", published {head['published']}" if head["published"] else ""
        link = f' (<a href="{escape(head["url"])}">source</a>)' if head["url"] else ""
        parts.append(f"<h4>{escape(head['publisher'])}{escape(when)}{link}</h4>")
        parts.append('<table><thead><tr><th>Verdict</th><th>Claim (as of)</th><th>Claim says</th>'
                     '<th>Data says</th><th>Reading</th></tr></thead><tbody>')
        for r in rows.itertuples():
            data = r.measured if r.verdict != "not_evaluated" else ""
            parts.append(
                f"<tr><td>{verdict_badge(r.verdict)}</td><td>{escape(r.claim)} <small>({escape(r.as_of)}; "
                f"{escape(r.claim_id)})</small></td><td>{escape(r.reported)}</td><td>{escape(data)}</td>"
                f"<td><small>{escape(r.note)}</small></td></tr>")
        parts.append("</tbody></table>")
    return "\n".join(parts)
