"""What a reader can take away: each chart as files named by its title (data as CSV, the picture as
PNG and SVG), what every column means and in which unit, and one zip of everything (the charts in it
as SVG only: PNGs do not compress and would double it).

The notebooks' chart outputs carry their drawings (attrition.site.figures); the site writes them
here once, and the pages show the SVG files, so a page never embeds a picture. The zip is
byte-identical from build to build: fixed timestamps and permissions, files in name order.
"""

from __future__ import annotations

import base64
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from attrition.schema import PUBLISHED

CHARTS = "downloads/charts"
"""Where the chart files live, from the site's root."""
ZIP_NAME = "attrition-downloads.zip"

COLUMN_NOTES = {
    "name": "the person's name",
    "cohort": "founder, hire (a named early hire) or executive",
    "start_lo": "earliest day the person can have joined (date)",
    "start_hi": "latest day the person can have joined (date)",
    "end_lo": "earliest day the person can have left (date; empty if no departure is recorded)",
    "end_hi": "latest day the person can have left (date; empty if no departure is recorded)",
    "end_event": "how the spell ended: leave (left) or step_back (stepped back)",
    "status": "departed, uncertain (the leaving date straddles the as-of date), active (a source shows the "
              "person there on or after the as-of date) or unseen (no departure recorded, last seen earlier)",
    "seen_until": "the last day a source shows the person there: a sighting, their join, or a later departure (date)",
    "went_to": "where the person went after leaving, from moves.csv (empty where no source says)",
    "went_to_source": "id of the source for went_to, as on the sources page",
    "days": "days since joining (days)",
    "survival": "share of the group still at the company (0 to 1)",
    "lower": "lower end of the 95% interval (same unit as the value it bounds); in the interval-censored "
             "chart, the lowest curve the date ranges allow",
    "upper": "upper end of the 95% interval (same unit as the value it bounds); in the interval-censored "
             "chart, the highest curve the date ranges allow",
    "date": "calendar day (date)",
    "lo": "lowest value the uncertain dates allow: a share (0 to 1) on a share chart, people on a headcount",
    "hi": "highest value the uncertain dates allow: a share (0 to 1) on a share chart, people on a headcount",
    "year": "calendar year the row starts (year)",
    "years": "calendar years in each row (years)",
    "departures_lo": "departures in the period, counting only dates surely inside it (people)",
    "departures_hi": "departures in the period, counting every date that may fall inside it (people)",
    "departures_mid": "departures in the period on date midpoints (people)",
    "person_years": "time people were at risk of leaving in the period (person-years)",
    "rate": "departures per person-year (per person-year)",
    "rate_ci_lower": "lower end of the exact 95% Poisson interval of the rate (per person-year)",
    "rate_ci_upper": "upper end of the exact 95% Poisson interval of the rate (per person-year)",
    "partial_year": "true where the period is cut short by the as-of date",
    "group": "the group a curve belongs to (a cohort, department or other grouping in the data)",
    "value": "the series' value (people): staff a source reported, people our roster surely names, or "
             "named hires in the month",
    "measure": "what a reported count counts: employees or technical staff",
    "series": "which of the chart's series the row belongs to",
    "lab": "the lab (company) the row is about",
    "followed": "days the group was followed, up to its last observation (days)",
    "period": "first day of the period people joined in (date)",
    "hires": "people who joined in the period (people)",
    "ci_lower": "lower end of the exact 95% Poisson interval of the count (people)",
    "ci_upper": "upper end of the exact 95% Poisson interval of the count (people)",
    "unplaced": "people whose join date is too uncertain to place in one period (people)",
    "cause": "kind of destination people left for (moves.csv categories)",
    "at_risk": "people still followed just before this time (people)",
    "cause_events": "people who left for this destination at this time (people)",
    "incidence": "share of the group that had left for this destination (0 to 1)",
    "from": "the lab people left",
    "to": "where they went: a lab in the data, or outside it by kind of destination",
    "people": "number of people (people)",
    "source": "the lab whose former staff founded another",
    "target": "the lab they founded or co-founded",
    "founders": "founders of the target lab who had worked at the source lab (people)",
    "founded": "day the target lab's first founder joined it (date)",
    "company": "the company (lab) the row is about",
    "month": "first day of the month (date)",
    "published": "the figure the publication gave (share, 0 to 1)",
    "retained_observed": "share still there in the open roster, each person followed to their last review (0 to 1)",
    "ci_lower_observed": "lower end of its 95% interval (0 to 1)",
    "ci_upper_observed": "upper end of its 95% interval (0 to 1)",
    "retained_freeze": "share still there in the open roster, reading a still-listed person as still there (0 to 1)",
    "ci_lower_freeze": "lower end of its 95% interval (0 to 1)",
    "ci_upper_freeze": "upper end of its 95% interval (0 to 1)",
}
"""What each column of a chart's data means, with its unit; a test holds every chart's columns to it."""


@dataclass(frozen=True)
class ChartFiles:
    """One chart as the site wrote it: files under CHARTS named `name` (.csv, .png, .svg, -narrow.svg),
    the page it is on, and what a page needs to show it."""

    name: str
    title: str
    alt: str
    page: str
    page_title: str
    columns: tuple[str, ...]
    size: tuple[int, int]
    narrow_size: tuple[int, int]
    spots: str

    def href(self, root: str, kind: str = ".svg") -> str:
        return f"{root}{CHARTS}/{self.name}{kind}"

    def notes(self) -> list[tuple[str, str]]:
        return [(c, COLUMN_NOTES.get(c, "")) for c in self.columns]


def slug(text: str, limit: int = 70) -> str:
    """A file name from a title: ASCII letters and digits, words joined by hyphens, cut at a word."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.replace("'", "")).strip("-")
    if len(words) <= limit:
        return words
    return words[:limit].rsplit("-", 1)[0]


def write_chart(site_dir: Path, page: str, page_title: str, output: dict, taken: set[str]) -> ChartFiles:
    """Write one chart output of a notebook (data, PNG, wide and narrow SVG) under the site's CHARTS
    folder, named after the page and the chart's title; `taken` keeps names unique across the site."""
    from attrition.site.figures import spots_json

    meta = output["metadata"]["image/png"]
    base = f"{page.removesuffix('.html').replace('/', '-')[:60]}--{slug(meta['title'])}"  # well under 255 bytes
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    folder = site_dir / CHARTS
    folder.mkdir(parents=True, exist_ok=True)
    csv = output["data"]["text/csv"]
    (folder / f"{name}.csv").write_text(csv, encoding="utf-8")
    (folder / f"{name}.png").write_bytes(base64.b64decode(output["data"]["image/png"]))
    (folder / f"{name}.svg").write_text(meta["svg"], encoding="utf-8")
    (folder / f"{name}-narrow.svg").write_text(meta["narrow_svg"], encoding="utf-8")
    columns = tuple(csv.split("\n", 1)[0].strip().split(",")) if csv else ()
    return ChartFiles(name, meta["title"], meta["alt"], page, page_title, columns, tuple(meta["size"]),
                      tuple(meta["narrow_size"]), spots_json(meta["spots"], meta["narrow_spots"]))


def readme(tables: list[dict], charts: list[ChartFiles], freeze: str) -> str:
    """The zip's README: every file (for a tidy table, its columns as `attrition.schema.PUBLISHED` declares them),
    and for each chart its title, page and columns with their units."""
    lines = [f"# attrition: the data behind the site, as of {freeze}", "",
             "Dates are ISO days; a range is two columns (earliest, latest). Text a spreadsheet would run as a",
             "formula (starting with = + - or @) is prefixed with an apostrophe.", "", "## Tables", ""]
    for t in tables:
        lines.append(f"- `{t['name']}`: {t['about']}")
        if t["name"] in PUBLISHED:
            lines += [f"  - `{f.name}` ({f.kind}): {f.meaning}" for f in PUBLISHED[t["name"]].fields]
    lines += ["", "## Charts", "", "Each chart comes as its data (.csv) and its drawing (.svg, which any size of "
              "picture can be made from); the downloads page also has each as a PNG picture.", ""]
    for chart in charts:
        lines += [f"### {chart.title}", "", f"On {chart.page_title} ({chart.page}). Files: `charts/{chart.name}.csv`, "
                  f"`charts/{chart.name}.svg`.", ""]
        lines += [f"- `{column}`: {note}" for column, note in chart.notes()]
        lines.append("")
    return "\n".join(lines)


def write_zip(target: Path, files: dict[str, bytes]) -> None:
    """A zip of `files` (name in the archive: bytes) that is the same bytes on every build."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, files[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
