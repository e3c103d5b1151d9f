"""Every chart the pages show, built from the package's measures: title (the finding), alt text,
the data behind it (downloadable) and a drawing for a desktop page and one for a phone.

A notebook cell ends with one of these builders. Its output is the wide PNG (what JupyterLab shows),
the alt text and the data as CSV; its metadata carries the two SVG drawings (wide and narrow, light
and with their text as text) and the chart's spots (what a reader pointing at it is told). The SVGs
sit in metadata because nbval compares every text output strictly and an SVG's coordinates are
layout, not content; nbval skips metadata and images alike. The site writes each drawing once, as
a file a page's picture picks from by width. Tests build every chart here both ways and check its
axes, marks and labels.
"""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass
from html import escape
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from attrition.findings import flows as flow_findings
from attrition.findings import hiring as hiring_findings
from attrition.findings import labs as lab_findings
from attrition.findings import people
from attrition.findings import roster as roster_findings
from attrition.findings import survival as survival_findings
from attrition.findings.finding import MIME, Finding
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.io.outputs import formula_safe
from attrition.site import plots

PAD_INCHES = 0.1
"""White margin around a drawing, as savefig's bbox_inches="tight" leaves."""
RASTER_ABOVE = 1500
"""An area (a band) with more corners than this is drawn as pixels inside the SVG: as vectors it
would weigh hundreds of kilobytes (a curve of thousands of people) for no visible gain."""


@dataclass(frozen=True)
class Drawing:
    """A chart drawn once: SVG, PNG (empty unless asked for), its size in CSS pixels, and its spots as
    boxes in fractions of the picture: [x0, y0, x1, y1, text] from the top left."""

    svg: str
    png: bytes
    size: tuple[int, int]
    spots: list[list]


@dataclass(frozen=True)
class Chart:
    """A finding drawn: `draw(narrow)` makes the figure; `data` is what it plots, as a tidy table. The
    title is the sentence of the chart's finding (`findings`, checked by the report like every finding)."""

    title: str
    alt: str
    data: pd.DataFrame
    draw: Callable[[bool], Figure | Axes]
    findings: tuple[Finding, ...] = ()

    def figure(self, narrow: bool = False) -> Figure:
        """The drawn figure (new each call); the caller closes it."""
        plots.use_style()
        drawn = self.draw(narrow)
        fig = drawn if isinstance(drawn, Figure) else drawn.figure
        fig.tight_layout()
        return fig

    def drawing(self, narrow: bool = False, png: bool = True) -> Drawing:
        """The figure as SVG and PNG of one crop, byte-identical from run to run on any machine: no date,
        software version or random id in either (svg.hashsalt fixes the SVG's clip-path ids). The SVG
        keeps its text as text and its coordinates to a hundredth of a point."""
        fig = self.figure(narrow)
        try:
            fig.canvas.draw()
            box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(PAD_INCHES)
            spots = [s for s in (_fractions(spot, box) for spot in plots.spots(fig)) if s]
            picture = _png(_saved(fig, "png", box, {"Software": None})) if png else b""
            for collection in (c for ax in fig.axes for c in ax.collections):
                collection.set_rasterized(sum(len(p.vertices) for p in collection.get_paths()) > RASTER_ABOVE)
            with plt.rc_context({"svg.hashsalt": "attrition", "svg.fonttype": "none"}):
                svg = _short(_saved(fig, "svg", box, {"Date": None, "Creator": None}).decode("utf-8"))
        finally:
            plt.close(fig)
        size = (round(box.width * 96), round(box.height * 96))
        return Drawing(svg.replace("<defs>", f"<title>{escape(self.title)}</title>\n <defs>", 1), picture, size, spots)

    def png(self, narrow: bool = False) -> bytes:
        """The figure as PNG bytes, with no timestamp or software version in it (byte-identical reruns)."""
        return self.drawing(narrow).png

    def csv(self) -> str:
        """The chart's data, formula-safe, for the download beside the page."""
        return formula_safe(self.data).to_csv(index=False, date_format="%Y-%m-%d", float_format="%.6g")

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        wide, narrow = self.drawing(), self.drawing(narrow=True, png=False)
        return ({"image/png": base64.b64encode(wide.png).decode("ascii"), "text/plain": self.alt,
                 "text/csv": self.csv(), MIME: [f.to_dict() for f in self.findings]},
                {"image/png": {"alt": self.alt, "title": self.title,
                               "svg": wide.svg, "size": list(wide.size), "spots": wide.spots,
                               "narrow_svg": narrow.svg, "narrow_size": list(narrow.size),
                               "narrow_spots": narrow.spots}})


def _saved(fig: Figure, kind: str, box: Bbox, metadata: dict) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=kind, bbox_inches=box, metadata=metadata)
    return buffer.getvalue()


def _png(data: bytes) -> bytes:
    """A chart's PNG in at most 256 colours (a third of the bytes; charts have few colours)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT,
                                                         dither=Image.Dither.NONE).save(buffer, "png", optimize=True)
    return buffer.getvalue()


def _short(svg: str) -> str:
    """The SVG without weight a reader never sees: numbers inside its tags (coordinates, not its text)
    to two decimals, path data on one line, no rotation by zero, and the font named once for all text."""
    fonts = f"font-family: {', '.join(repr(f) if ' ' in f or f != 'sans-serif' else f for f in plots.FONTS)}"
    number = re.compile(r"(\d+\.\d{3,})")

    def tag(part: str) -> str:
        part = number.sub(lambda m: f"{float(m.group(1)):.2f}", part)
        part = re.sub(r' transform="rotate\(-?0 [^"]*\)"', "", part.replace(f"; {fonts}", ""))
        return re.sub(r"\s*\n\s*(?=[LMCQZz])", " ", part)

    short = "".join(tag(part) if part.startswith("<") else part for part in re.split(r"(<[^>]*>)", svg))
    return short.replace("*{stroke-linejoin", f"text{{{fonts}}}\n*{{stroke-linejoin", 1)


def _fractions(spot: plots.Spot, box: Bbox) -> list | None:
    """A spot as [x0, y0, x1, y1, text] in fractions of the cropped picture from its top left, cut to
    the axes it belongs to; None when it lies outside them."""
    ax, dpi = spot.ax, spot.ax.figure.dpi
    corners = [(spot.x, spot.y), (spot.x if spot.x1 is None else spot.x1, spot.y if spot.y1 is None else spot.y1)]
    (ax0, ay0), (ax1, ay1) = ax.transData.transform(
        [(ax.xaxis.convert_units(x), ax.yaxis.convert_units(y)) for x, y in corners])
    frame = ax.bbox
    x0, x1 = sorted((ax0, ax1))
    y0, y1 = sorted((ay0, ay1))
    x0, y0, x1, y1 = max(x0, frame.x0 - 1), max(y0, frame.y0 - 1), min(x1, frame.x1 + 1), min(y1, frame.y1 + 1)
    if x0 > x1 or y0 > y1:
        return None
    fx = lambda px: round(float(px / dpi - box.x0) / box.width, 3)
    fy = lambda px: round(float(box.y1 - px / dpi) / box.height, 3)
    return [fx(x0), fy(y1), fx(x1), fy(y0), spot.text]


def spots_json(spots: list[list], narrow_spots: list[list]) -> str:
    """Both drawings' spots for the page's script: each text once, boxes pointing at it by number;
    safe inside a <script> element."""
    texts = list(dict.fromkeys(s[4] for s in [*spots, *narrow_spots]))
    index = {t: i for i, t in enumerate(texts)}
    boxes = lambda chosen: [[*s[:4], index[s[4]]] for s in chosen]
    data = {"t": texts, "w": boxes(spots), "n": boxes(narrow_spots)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")




def chart(findings: Finding | tuple[Finding, ...], what: str, data: pd.DataFrame,
          draw: Callable[[str, bool], Figure | Axes]) -> Chart:
    """A chart titled with its finding(s): the title is their sentences, the alt text adds what is drawn."""
    found = findings if isinstance(findings, tuple) else (findings,)
    title = "; ".join(f.sentence for f in found)
    return Chart(title, f"{title}. {what}", data, lambda narrow: draw(title, narrow), found)


# -- who is there --------------------------------------------------------------------------------

def tenure_bars(ds: Dataset, company: str, cohorts: tuple[str, ...], finding: Finding) -> Chart:
    """One bar per person from join to leave (or to the last sighting), grey where a date is a range."""
    from attrition.core.roster import spells
    from attrition.site.presentation import went_to

    table = spells(ds, Scope.of(ds, company))
    table = table[table["cohort"].isin(cohorts)].reset_index(drop=True)
    table = table.join(went_to(ds, table))
    data = table[["name", "cohort", "start_lo", "start_hi", "end_lo", "end_hi", "end_event", "status", "seen_until",
                  "went_to", "went_to_source"]]
    return chart(finding, f"One horizontal bar per person ({len(table)}) from the day they joined to the day they left, "
                          "or to the last day a source shows them there (dotted after it); the table above lists the "
                          "same dates.", data, lambda title, narrow: plots.swimlane(table, title, narrow=narrow))


def founder_tenure(ds: Dataset, company: str) -> Chart:
    """The founders' bars, titled with how many had left."""
    return tenure_bars(ds, company, ("founder",), people.departed(ds, company, "founder"))


def hire_tenure(ds: Dataset, company: str) -> Chart:
    """The named hires' and executives' bars, titled with how many of each had left."""
    return tenure_bars(ds, company, ("hire", "executive"), people.departed_cohorts(ds, company, ("hire", "executive")))


# -- how long founders stay ----------------------------------------------------------------------

def founder_survival(ds: Dataset, company: str, cohort: str = "founder") -> Chart:
    """The Kaplan-Meier curve of the cohort, titled with its median tenure."""
    from attrition.measures import survival

    tenure = survival.tenure_table(ds, Scope.of(ds, company, cohort))
    curve = survival.fit_scenario(tenure, "midpoint")
    return chart(survival_findings.median_tenure(ds, company, cohort),
                 "A step curve of the share still there against years since joining, with its 95% band and each "
                 "departure named at the right.", curve[["days", "survival", "lower", "upper"]],
                 lambda title, narrow: plots.survival_curve(curve, tenure, title, narrow=narrow))


def claims_window(claims_table: pd.DataFrame, margin_days: int = 21) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The calendar span of a set of claims, with a margin, for a zoomed chart."""
    dates = pd.to_datetime(claims_table["As of"])
    return dates.min() - pd.Timedelta(days=margin_days), dates.max() + pd.Timedelta(days=margin_days)


def share_with_claims(ds: Dataset, company: str, claims_table: pd.DataFrame, exclude: tuple[str, ...] = (),
                      zoom: bool = False) -> Chart:
    """Departed share day by day, with the dated claims of `claims_table` marked by their row number, titled with
    when half had certainly left.

    `claims_table` is attrition.site.presentation.founder_claims (columns "#" and "As of"); `exclude`
    leaves people out of the denominator (e.g. a founder some outlets do not count).
    """
    from attrition.measures import survival

    series = survival.departed_share_series(ds, company, "founder", exclude=list(exclude))
    marks = pd.DataFrame({"date": pd.to_datetime(claims_table["As of"]), "label": claims_table["#"].astype(str)})
    finding = survival_findings.half_left_by(ds, company, "founder", exclude)
    left_out = finding.sentence[finding.sentence.find("(not counting"):finding.sentence.find(")") + 1] if exclude else ""
    label = "share that had left" + (f", {left_out.strip('()')}" if exclude else "")
    window = claims_window(claims_table) if zoom else None
    what = ("The share of founders who had left, day by day, zoomed on the weeks the claims ran" if zoom else
            "The share of founders who had left, day by day") + "; dashed lines numbered as in the claims table mark the days claims were made."
    return chart(finding, what, series,
                 lambda title, narrow: plots.share_over_time(series, title, marks=marks, label=label, narrow=narrow,
                                                             window=window))


def departure_rates(ds: Dataset, company: str, cohort: str | None = "founder", years_per_row: int = 1,
                    who: str | None = None) -> Chart:
    """Departures per person-year by calendar period, with exact Poisson whiskers, titled with the period that
    stands out (or that none does)."""
    from attrition.measures import survival

    by_year = survival.departures_by_year(ds, company, cohort, years_per_row=years_per_row)
    finding = survival_findings.fastest_period(ds, company, cohort, years_per_row, who)
    shape = "bars" if (by_year["person_years"] > 0).sum() <= plots.BARS_UP_TO else "a line"
    return chart(finding, f"Departures per person-year in each calendar period, drawn as {shape} with 95% intervals.",
                 by_year, lambda title, narrow: plots.rates_by_year(by_year, title, narrow=narrow))


def exact_vs_interval(ds: Dataset, company: str, cohort: str = "founder") -> Chart:
    """The midpoint Kaplan-Meier curve against every curve the interval-censored fit allows."""
    from attrition.measures import survival

    tenure = survival.tenure_table(ds, Scope.of(ds, company, cohort))
    curve, npmle = survival.fit_scenario(tenure, "midpoint"), survival.fit_interval(tenure)
    return chart(survival_findings.interval_median(ds, company, cohort),
                 "A red step curve (the fit on date midpoints) inside a grey band of interval-censored estimates.",
                 npmle.rename_axis("days").reset_index(),
                 lambda title, narrow: plots.exact_vs_interval(curve, npmle, title, narrow=narrow))


def founders_vs_hires(ds: Dataset, company: str) -> Chart:
    """Founders' and named hires' curves on one tenure axis, titled with which left more often (log-rank)."""
    from attrition.measures import survival

    founders = survival.tenure_table(ds, Scope.of(ds, company, "founder"))
    hires = survival.tenure_table(ds, Scope.of(ds, company, "hire"))
    finding = survival_findings.founders_vs_hires(ds, company)
    pair = [(survival.fit_scenario(founders), "founders", plots.COLORS["leave"]),
            (survival.fit_scenario(hires), "named hires", plots.COLORS["active"])]
    data = pd.concat([c[["days", "survival"]].assign(group=label) for c, label, _ in pair], ignore_index=True)
    longest = max(founders["midpoint_days"].max(), hires["midpoint_days"].max())
    return chart(finding, "Two step curves of the share still there against years since joining.", data,
                 lambda title, narrow: plots.curves_side_by_side(pair, longest, title, narrow=narrow))


# -- hiring ----------------------------------------------------------------------------------------

def hiring_timeline(ds: Dataset, company: str, window: tuple[str, str], milestone_ids: list[str]) -> Chart:
    """Reported staff counts, the named roster and named hires per month on one calendar, the claim's
    window shaded and the chosen milestones marked."""
    from attrition.core.roster import (
        headcount_with_reports,
        hires_per_month,
        milestones,
    )

    per_month = hires_per_month(ds, company)
    roster, reported = headcount_with_reports(ds, company)
    ms = milestones(ds)
    ms = ms[ms["company"] == company]
    marks = ms[ms["milestone_id"].isin(milestone_ids)].rename(columns={"earliest": "date"})[["date", "label"]]
    launch = ms.loc[ms["milestone_id"] == "announced", "earliest"]
    start = (launch.iloc[0] if len(launch) else roster["date"].min()) - pd.Timedelta(days=45)
    largest = reported.loc[reported["value"].idxmax(), "count_id"] if len(reported) else None
    span = (pd.Timestamp(window[0]), pd.Timestamp(window[1]))
    finding = hiring_findings.timeline(ds, company, window[0], window[1], largest)
    data = pd.concat([
        reported[["end", "value", "measure"]].rename(columns={"end": "date"}).assign(series="reported by a source"),
        roster.rename(columns={"lo": "value"})[["date", "value"]].assign(series="named roster, surely there"),
        per_month.rename(columns={"month": "date", "hires": "value"})[["date", "value"]].assign(series="named hires in month"),
    ], ignore_index=True)
    return chart(finding, "Three panels on one calendar: staff counts sources reported (log scale), the people our "
                          "roster names, and named hires per month (joins known only to a range longer than a month "
                          "are left out of the bars).", data,
                 lambda title, narrow: plots.hiring_timeline(roster, reported, per_month, marks, span, title, start,
                                                             narrow=narrow))


# -- labs side by side -----------------------------------------------------------------------------

def lab_curves(ds: Dataset, highlight: str = "xai", years: int = 3, max_years: float = 6) -> Chart:
    """Every lab's founder curve, the highlighted one boldest, titled with its rank and the range of ranks."""
    from attrition.measures import peers

    names = ds.company_names
    curves = peers.lab_curves(ds)
    data = curves.assign(lab=curves["company"].astype(str).map(names))[["lab", "days", "survival", "followed"]]
    return chart(lab_findings.rank(ds, highlight, years),
                 f"One step curve per lab ({curves['company'].nunique()} labs) of the share of founders still there "
                 "against years since joining.", data,
                 lambda title, narrow: plots.curves_by_lab(curves.assign(company=curves["company"].astype(str).map(names)),
                                                           title, highlight=names[highlight], max_years=max_years,
                                                           narrow=narrow))


# -- the standard report for any roster ----------------------------------------------------------

def roster_survival(ds: Dataset, company: str, cohort: str | None, noun: str) -> Chart:
    """The survival curve of everyone (or a cohort) at one company, departures named when few and the roster
    is public (overview.is_public)."""
    from attrition.measures import overview, survival

    tenure = survival.tenure_table(ds, Scope.of(ds, company, cohort))
    curve = survival.fit_scenario(tenure)
    few = len(tenure) <= 30 and overview.is_public(ds)
    return chart(survival_findings.median_tenure(ds, company, cohort, noun=noun),
                 "A step curve of the share still there against years since joining, with its 95% band and the number "
                 "still followed under the axis.", curve[["days", "survival", "lower", "upper"]],
                 lambda title, narrow: plots.survival_curve(curve, tenure, title, label_departures=few, narrow=narrow))


def roster_joins(ds: Dataset, company: str, cohort: str | None) -> Chart:
    """Joins per period with an exact Poisson band, titled with the period that stands out (or that none does)."""
    from attrition.measures import overview

    joins, unit = overview.hires_by_period(ds, company, cohort)
    return chart(roster_findings.busiest_period(ds, company, cohort),
                 f"Joins per {unit} with a band of rates that could produce each count.", joins,
                 lambda title, narrow: plots.counts_with_band(joins, unit, title, narrow=narrow))


def roster_headcount(ds: Dataset, company: str, cohort: str | None, noun: str) -> Chart:
    """People surely (and possibly) at the company over time, titled with the most at once."""
    from attrition.measures import overview

    heads = overview.headcount_series(ds, company, cohort)
    return chart(roster_findings.largest_headcount(ds, company, cohort, noun),
                 "A line of people surely there over time (a source shows them there), a grey band for those who may "
                 "have been.", heads, lambda title, narrow: plots.headcount_over_time(heads, title, narrow=narrow))


def roster_groups(ds: Dataset, company: str, cohort: str | None, noun: str) -> Chart:
    """One survival curve per group at one company, titled with which groups leave clearly faster or slower."""
    from attrition.measures import peers

    summary, _ = roster_findings.groups(ds, company, cohort, noun)
    curves = peers.lab_curves(ds, cohort, by="group", company=company)
    return chart(summary, "One step curve per group of the share still there against years since joining.",
                 curves[["group", "days", "survival", "followed"]],
                 lambda title, narrow: plots.curves_by_lab(curves, title, highlight=None, by="group", narrow=narrow))


REASON_STEPS = 200
"""Steps drawn per reason at most: each an exact point of its curve; enough for the eye, light for the page."""


def _at_most(curves: pd.DataFrame, by: str, steps: int) -> pd.Series:
    """Which rows keep at most `steps` rows of each curve (the rows sharing `by`), evenly spread, its first and last
    always among them: row k of a curve of n rows is kept if it is round(i * (n - 1) / (steps - 1)) for some i, and
    only two i can be (the floor of k * (steps - 1) / (n - 1), and the next), so every curve is thinned at once."""
    groups = curves.groupby(by, sort=False, observed=True)
    k, n = groups.cumcount().to_numpy(), groups[by].transform("size").to_numpy()
    keep = n <= steps
    below = k * (steps - 1) // np.maximum(n - 1, 1)
    for i in (below, below + 1):
        keep |= (i < steps) & (np.rint(i * (n - 1) / (steps - 1)) == k)
    return pd.Series(keep, index=curves.index)


def roster_reasons(ds: Dataset, company: str, cohort: str | None, noun: str, years: float) -> Chart:
    """Cumulative incidence of leaving for each reason (Aalen-Johansen, 95% bands), titled with each reason's
    share within `years` of joining. Each curve is drawn (and its data given) at its own steps, the days
    someone left for that reason, with its band as it stands there, and at most REASON_STEPS of them,
    evenly spread: a roster of thousands draws a few hundred exact points, not one per departure per reason."""
    from attrition.measures import reasons

    table = reasons.leavers(ds, Scope.of(ds, company, cohort))
    curves = reasons.incidence(table)
    curves = curves[(curves["cause_events"] > 0) | (curves["days"] == 0)]  # each curve's own steps, band there
    curves = curves[_at_most(curves, "cause", REASON_STEPS)]
    order = [c for c in reasons.categories(ds, list(set(curves["cause"]))) if c in set(curves["cause"])]
    curves = curves.set_index("cause").loc[order].reset_index()
    longest = float(table["midpoint_days"].max())
    return chart(roster_findings.reasons(ds, company, cohort, noun, years),
                 "One step curve per reason for leaving: the share who had left for it, against years since joining, "
                 "with 95% bands.", curves[["cause", "days", "at_risk", "cause_events", "incidence", "lower", "upper"]],
                 lambda title, narrow: plots.incidence_curves(curves, {c: c for c in order}, title, longest,
                                                              narrow=narrow))


# -- where they went -------------------------------------------------------------------------------

def destination_incidence(ds: Dataset, company: str | None = None, cohort: str = "founder", years: float = 3) -> Chart:
    """Cumulative incidence of leaving by destination category (Aalen-Johansen), titled with the category
    most of the group had left for within `years` years."""
    from attrition.measures import flows

    scope = Scope.of(ds, company, cohort)
    table = flows.departures(ds, scope)
    curves = flows.cumulative_incidence(ds, scope)
    order = [c for c in flows.CATEGORY_WORDS if c in set(curves["cause"])]
    curves = curves.set_index("cause").loc[order].reset_index()
    labels = {c: flows.CATEGORY_WORDS[c] for c in order}
    longest = float(table["midpoint_days"].max())
    return chart(flow_findings.most_common_destination(ds, years, company, cohort),
                 "One step curve per kind of destination: the share of the group that had left for it, against years "
                 "since joining, with 95% bands.",
                 curves[["cause", "days", "at_risk", "cause_events", "incidence", "lower", "upper"]],
                 lambda title, narrow: plots.incidence_curves(curves, labels, title, longest, narrow=narrow))


def flow_chart(ds: Dataset, cohort: str | None = None) -> Chart:
    """Departures from each lab to each other lab in the data, and outside it by kind of destination."""
    from attrition.measures import flows

    table = flows.flow_table(ds, cohort)
    names = ds.company_names
    label = [names[t] if inside else f"outside: {flows.CATEGORY_LABELS[t]}" for t, inside in zip(table["to"], table["to_company"])]
    table = table.assign(From=table["company"].map(names), To=label)
    inside = table[table["to_company"]]
    order = ([names[c] for c in sorted(set(inside["to"]))]
             + [f"outside: {flows.CATEGORY_LABELS[c]}" for c in flows.CATEGORY_WORDS if c in set(table.loc[~table["to_company"], "to"])])
    matrix = table.pivot_table(index="From", columns="To", values="people", aggfunc="sum", fill_value=0)
    matrix = matrix.reindex(columns=order, fill_value=0)
    data = table[["From", "To", "people"]].rename(columns={"From": "from", "To": "to"})
    return chart(flow_findings.moves_between(ds, cohort),
                 "A grid of counts: rows are the labs people left, columns where they went (labs in the data, then "
                 "kinds of destination outside it).", data,
                 lambda title, narrow: plots.flow_grid(matrix, title, narrow=narrow))


def lineage_chart(ds: Dataset) -> Chart:
    """Labs founded by alumni of other labs in the data, placed in time, arrows from the lab they had worked at."""
    from attrition.measures import flows

    edges = flows.lab_lineage(ds)
    names = ds.company_names
    founded = flows.founding_days(ds)
    nodes = pd.DataFrame({"label": founded.index.map(names), "founded": founded.to_numpy(),
                          "lane": range(len(founded))})
    links = pd.DataFrame({"source": edges["from_company"].map(names), "target": edges["company"].map(names),
                          "founders": edges["founders"]})
    data = links.merge(nodes.rename(columns={"label": "target"})[["target", "founded"]], on="target")
    return chart(flow_findings.alumni(ds),
                 "Labs placed by when their first founder joined; an arrow from a lab to each lab its former staff "
                 "co-founded, as thick as the number of founders.", data,
                 lambda title, narrow: plots.lineage_map(nodes, links, title, narrow=narrow))


# -- an open roster against published figures -----------------------------------------------------

def open_hires_chart(open_ds: Dataset) -> Chart:
    """People joining each lab per month in an open roster, titled with where it lists the most people."""
    from attrition.claims import open_data

    frame = open_data.hires_per_month(open_ds)
    totals = frame.groupby("company")["hires"].sum().sort_values(ascending=False, kind="stable")
    frame = frame.set_index("company").loc[list(totals.index)].reset_index()
    return chart(flow_findings.open_listing(open_ds),
                 "One bar chart per lab on a shared calendar: how many people the open roster lists as joining in "
                 "each month (joins known only to the year are left out).", frame[["company", "month", "hires"]],
                 lambda title, narrow: plots.month_panels(frame, open_ds.company_names, title, narrow=narrow))


def open_retention_chart(ds: Dataset, open_ds: Dataset, source_id: str) -> Chart:
    """Each published retention figure of `source_id` beside the open roster's intervals under both censoring
    rules, titled with how many of them the open data's intervals hold."""
    from attrition.claims import open_data

    table = open_data.published_against_open(ds, open_ds, source_id)
    table = table[table["measure"] == "retention"].reset_index(drop=True)
    table["label"] = table["company"].map(open_ds.company_names)
    summary, _ = flow_findings.published_against_open(open_ds, table)
    years = float(table["years"].iloc[0])
    columns = ["label", "published", *(f"{c}_{r}" for r in ("observed", "freeze") for c in ("retained", "ci_lower", "ci_upper"))]
    return chart(summary, "Per lab, two horizontal lines give the open roster's 95% interval for the share still "
                          "there, under two ways of counting people it lists as still there; a black diamond marks "
                          "the published figure.", table[columns].rename(columns={"label": "lab"}),
                 lambda title, narrow: plots.retention_against_published(table, title, years, narrow=narrow))
