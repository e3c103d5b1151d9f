"""Shared chart style and the charts the notebooks draw, so every figure looks and reads the same.

Charts never compute findings themselves: the caller (attrition.figures) passes tables from the
package and a title that states the finding. Every chart can be drawn wide (for a desktop page) or
narrow (`narrow=True`, for a phone): the narrow one is redrawn, not shrunk, with fewer ticks and
wrapped titles, so its text stays legible at 390 px.

Each chart also leaves `spots` on its figure: the points (or boxes) a reader can point at, each with
a line of text saying its date or time, its value and who it counts. attrition.figures turns them
into hover text on the site and `<title>` elements in the SVG; they never change the drawing.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from attrition.text import END_WORDS, days_and_years, format_interval

COLORS = {
    "leave": "#c0392b",
    "step_back": "#e67e22",
    "active": "#2e86c1",
    "unseen": "#85b8dd",
    "uncertain": "#bbbbbb",
    "window": "#f5d76e",
}
NARROW_WIDTH = 4.2
"""Inches (at 100 dpi) of a phone chart: shown at about its own size on a 390 px screen."""
TITLE_CHARS = {False: 95, True: 42}
"""Characters per title line, wide and narrow; longer titles wrap."""


FONTS = ["DejaVu Sans", "Bitstream Vera Sans", "Verdana", "Arial", "sans-serif"]
"""Matplotlib's own font first, so every machine lays text out alike; an SVG names the same list, and
a browser without DejaVu Sans falls back to Verdana, which is as wide."""


def use_style() -> None:
    """One look for every chart: white grid, readable font sizes, PNG at the default resolution. Text is drawn
    as written: a name or label from the data with dollar signs (`$\\foo$`) is not read as mathtext."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": 100, "axes.titleweight": "bold", "axes.titlesize": 13,
                         "savefig.dpi": 100, "text.parse_math": False, "font.sans-serif": FONTS})


# -- what a reader pointing at a chart is told ---------------------------------------------------------

@dataclass(frozen=True)
class Spot:
    """A place on a chart that tells its values: the point (x, y), or the box from it to (x1, y1), in
    the data coordinates of `ax`."""

    ax: Axes
    x: object
    y: object
    text: str
    x1: object = None
    y1: object = None


_SPOTS: WeakKeyDictionary = WeakKeyDictionary()
SPOTS_PER_SERIES = 40
"""A longer series is thinned to this many evenly spread spots (a curve with thousands of steps)."""


def spot(ax: Axes, x, y, text: str, x1=None, y1=None) -> None:
    """Leave a spot on `ax`'s figure (a box when x1 and y1 are given)."""
    _SPOTS.setdefault(ax.figure, []).append(Spot(ax, x, y, text, x1, y1))


def spots_along(ax: Axes, xs, ys, texts) -> None:
    """Spots on the points of one series, at most SPOTS_PER_SERIES of them, evenly spread."""
    xs, ys, texts = list(xs), list(ys), list(texts)
    keep = sorted({round(i * (len(xs) - 1) / (SPOTS_PER_SERIES - 1)) for i in range(SPOTS_PER_SERIES)}) \
        if len(xs) > SPOTS_PER_SERIES else range(len(xs))
    for i in keep:
        spot(ax, xs[i], ys[i], texts[i])


def spots(fig: Figure) -> list[Spot]:
    """The spots the chart left on `fig`, in the order it left them."""
    return list(_SPOTS.get(fig, []))


def _share(value: float) -> str:
    return f"{value:.0%}"


def _step_text(days: float, survival: float, followed: int, who: str = "") -> str:
    """One step of a survival curve: how long after joining, the share still there, how many followed."""
    return f"{who}{days_and_years(days)} after joining: {_share(survival)} still there; {followed:,} followed"


def axes_for(ax: Axes | None, narrow: bool, wide: tuple[float, float], narrow_height: float | None = None) -> Axes:
    """`ax`, or new axes sized for a desktop page (`wide`) or a phone (NARROW_WIDTH by `narrow_height`)."""
    if ax is not None:
        return ax
    size = (NARROW_WIDTH, narrow_height or max(3.6, wide[1] * 0.85)) if narrow else wide
    return plt.subplots(figsize=size)[1]


def title(ax: Axes, text: str, narrow: bool = False) -> None:
    """A left-aligned title stating the finding, wrapped to the chart's width."""
    ax.set_title(textwrap.fill(text, TITLE_CHARS[narrow]), loc="left", fontsize=11 if narrow else 13)


def date_axis(axis, narrow: bool, months: tuple[int, ...] = (1, 7), fmt: str = "%b %Y") -> None:
    """Calendar ticks: every `months` on a desktop chart, at most four concise ones on a phone."""
    if narrow:
        locator = mdates.AutoDateLocator(minticks=2, maxticks=4)
        axis.set_major_locator(locator)
        axis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    else:
        axis.set_major_locator(mdates.MonthLocator(bymonth=months))
        axis.set_major_formatter(mdates.DateFormatter(fmt))


def swimlane(table: pd.DataFrame, chart_title: str, ax: Axes | None = None, narrow: bool = False) -> Axes:
    """One bar per spell from join to leave; grey ends where the date is only known as a range.

    `table` is a slice of `attrition.spells()`; a spell a source shows open on its as-of date ends in an arrow;
    one with no end and an earlier last sighting stops there, marked "last seen", with a dotted line on to the
    as-of date (still there holds only up to the sighting). An optional `went_to` column (where each person
    went) is written inside the bar's end where it fits.
    """
    ax = axes_for(ax, narrow, (10, 0.45 * len(table) + 1.6), 0.42 * len(table) + 2.2)
    as_of = table["as_of"].iloc[0]
    open_ = table["status"].isin(["active", "unseen"])
    order = table.assign(_end=table["end_lo"].where(~open_, pd.Timestamp.max))
    order = order.sort_values(["_end", "start_lo", "name"], ascending=[False, True, True], ignore_index=True)
    inside = []
    for y, row in order.iterrows():
        gone = row["status"] in ("departed", "uncertain")
        unseen = row["status"] == "unseen"
        color = COLORS[row["end_event"]] if gone else COLORS[row["status"]]
        solid_end = row["end_lo"] if gone else row["seen_until"] if unseen else as_of
        ax.barh(y, solid_end - row["start_hi"], left=row["start_hi"], color=color, height=0.6)
        if row["start_hi"] > row["start_lo"]:
            ax.barh(y, row["start_hi"] - row["start_lo"], left=row["start_lo"], color=COLORS["uncertain"], height=0.6)
        if gone and row["end_hi"] > row["end_lo"]:
            end_hi = min(row["end_hi"], as_of)
            ax.barh(y, end_hi - row["end_lo"], left=row["end_lo"], color=COLORS["uncertain"], height=0.6)
        went = row["went_to"] if isinstance(row.get("went_to"), str) else ""
        joined = f"{row['name']} ({row['cohort']}): joined {format_interval(row['start_lo'], row['start_hi'])}"
        if gone:
            when = format_interval(row["end_lo"], row["end_hi"])
            label = when if narrow else f"{END_WORDS[row['end_event']]} {when}"
            ax.annotate(label, (min(row["end_hi"], as_of), y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=7 if narrow else 8)
            if went and not narrow:
                inside.append((f"then: {went}", row["end_lo"], row["start_hi"], y))
            said = f"{joined}; {END_WORDS[row['end_event']]} {when}" + (f"; then: {went}" if went else "")
        elif unseen:
            ax.plot([row["seen_until"], as_of], [y, y], linestyle=":", color=color, linewidth=1.5)
            label = f"last seen {row['seen_until']:%Y-%m-%d}"
            ax.annotate(label if not narrow else f"{row['seen_until']:%Y-%m-%d}", (row["seen_until"], y), xytext=(3, 5),
                        textcoords="offset points", va="bottom", fontsize=7 if narrow else 8)
            said = f"{joined}; last seen {row['seen_until']:%Y-%m-%d}, not observed since"
        else:
            ax.plot([as_of], [y], marker=">", color=color, markersize=7)
            said = f"{joined}; seen there on {as_of:%Y-%m-%d}"
        spot(ax, row["start_lo"], y - 0.3, said, min(row["end_hi"], as_of) if gone else row["seen_until"] if unseen
             else as_of, y + 0.3)
    ax.set_yticks(range(len(order)), order["name"], fontsize=8 if narrow else None)
    ax.set_ylim(len(order) - 0.4, -0.6)
    date_axis(ax.xaxis, narrow)
    ax.tick_params(axis="x", labelrotation=0, labelsize=8 if narrow else 9)
    ax.set_xlabel(f"Calendar date (as of {as_of:%Y-%m-%d})")
    ax.set_ylabel("")
    title(ax, chart_title, narrow)
    left = order["start_lo"].min() - pd.Timedelta(days=30)
    ax.set_xlim(left, as_of + pd.Timedelta(days=300 if narrow else 150))
    for text, right, start, y in inside:
        _label_inside_bar(ax, text, right, start, y)
    gone = order["status"].isin(["departed", "uncertain"])
    shown = set(order.loc[gone, "end_event"]) | set(order.loc[~gone, "status"])
    handles = [Patch(color=COLORS[key], label=text) for key, text in (
        ("leave", "at the company, then left"), ("step_back", "at the company, then stepped back"),
        ("active", "seen there on the as-of date (arrow)"),
        ("unseen", "there until the last sighting (dotted: not observed since)")) if key in shown]
    handles.append(Patch(color=COLORS["uncertain"], label="date known only as a range"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1 if narrow else 2,
              frameon=False, fontsize=8 if narrow else 9)
    return ax


def _label_inside_bar(ax: Axes, text: str, right, left, y: float) -> None:
    """White text at the inner end of a bar, dropped when the bar is too short to hold it."""
    label = ax.annotate(text, (right, y), xytext=(-4, 0), textcoords="offset points", ha="right", va="center",
                        fontsize=8, color="white", gid="bar-label")
    renderer = ax.figure.canvas.get_renderer()
    bar = ax.transData.transform([(ax.xaxis.convert_units(left), y), (ax.xaxis.convert_units(right), y)])
    if label.get_window_extent(renderer).width + 12 > 0.9 * (bar[1][0] - bar[0][0]):  # room for the final layout
        label.remove()


def tenure_step(max_days: float, narrow: bool = False) -> int:
    """Years between ticks on a tenure axis: 1, 2, 5 or 10, fewer ticks on a phone."""
    span = max_days / 365.25 * (2 if narrow else 1)
    return 1 if span <= 12 else 2 if span <= 24 else 5 if span <= 60 else 10


def style_tenure_axes(ax: Axes, max_days: float, chart_title: str, narrow: bool = False) -> None:
    """Axes of a tenure chart: years since joining across, share still there up."""
    step = tenure_step(max_days, narrow)
    span = max_days / 365.25
    years = range(0, int(span // step) * step + 2 * step, step)
    ax.set_xticks([y * 365.25 for y in years], [f"{y}" for y in years])
    ax.set_xlim(0, max_days * 1.02 + 1)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("Years since joining")
    ax.set_ylabel("Share still at the company")
    title(ax, chart_title, narrow)


AT_RISK_CHAR_POINTS = 5.2
"""The widest a character of the at-risk counts is at 8 points (a digit of DejaVu Sans is 0.64 em)."""


def at_risk_row(ax: Axes, curve: pd.DataFrame, label: str = "At risk") -> None:
    """Under the x axis, the number still at risk at the start of each tick's period: everyone who entered
    before it (at day 0, or later on a roster with late entry) less everyone gone before it."""
    entered = curve["entered"].cumsum() if "entered" in curve else pd.Series(
        int(curve["events"].sum() + curve["censored"].sum()), index=curve.index)
    removed = (curve["events"] + curve["censored"]).cumsum()
    lo, hi = ax.get_xlim()
    first = ""  # the count under the axis's left edge, which the label must clear
    for tick in ax.get_xticks():
        if lo <= tick <= hi:
            before = (curve["days"] < tick) | (curve["days"] == 0)
            came = int(entered[before].iloc[-1]) if before.any() else 0
            gone_before = int(removed[curve["days"] < tick].iloc[-1]) if (curve["days"] < tick).any() else 0
            text = f"{came - gone_before:,}"
            first = text if tick == lo else first
            ax.annotate(text, (tick, 0), xycoords=("data", "axes fraction"), xytext=(0, -26),
                        textcoords="offset points", ha="center", va="top", fontsize=8, gid="at-risk")
    clear = 4 + AT_RISK_CHAR_POINTS * len(first) / 2  # half the centred count's width, and a gap
    ax.annotate(label, (0, 0), xycoords="axes fraction", xytext=(-clear, -26), textcoords="offset points",
                ha="right", va="top", fontsize=8, fontweight="bold")
    ax.xaxis.labelpad = 22


def survival_curve(curve: pd.DataFrame, tenure: pd.DataFrame, chart_title: str, ax: Axes | None = None,
                   label_departures: bool = True, scenario: str = "midpoint", narrow: bool = False) -> Axes:
    """Kaplan-Meier curve with its 95% band, at-risk counts under the axis and each departure named.

    `curve` comes from attrition.estimators; names are stacked in a column at the right, in the
    order people left, each tied to its step by a thin line, so clustered departures never overlap.
    """
    ax = axes_for(ax, narrow, (10, 6), 4.8)
    ax.fill_between(curve["days"], curve["lower"], curve["upper"], step="post", color=COLORS["leave"], alpha=0.2,
                    linewidth=0, label="95% confidence band")
    ax.step(curve["days"], curve["survival"], where="post", color=COLORS["leave"], label="share still there")
    style_tenure_axes(ax, float(tenure[f"{scenario}_days"].max()), chart_title, narrow)
    if label_departures:
        gone = tenure[tenure[f"{scenario}_left"]].sort_values(f"{scenario}_days")
        n = len(gone)
        for i, row in enumerate(gone.itertuples()):
            t = getattr(row, f"{scenario}_days")
            y_step = float(curve.loc[curve["days"] <= t, "survival"].iloc[-1])
            y_text = 0.97 - i * (0.9 / max(n - 1, 1))
            ax.annotate(row.name, (t, y_step), xytext=(1.02, y_text), textcoords=("axes fraction", "data"),
                        fontsize=7 if narrow else 8, va="center", gid="departure-name",
                        arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6, "shrinkA": 2, "shrinkB": 2})
    at_risk_row(ax, curve)
    left = tenure[tenure[f"{scenario}_left"]]
    who = left.groupby(f"{scenario}_days")["name"].agg(lambda names: ", ".join(sorted(names)))
    spots_along(ax, curve["days"], curve["survival"], [
        _step_text(r.days, r.survival, r.at_risk) + f" (95% interval {_share(r.lower)} to {_share(r.upper)})"
        + (f"; left then: {who[r.days]}" if label_departures and r.days in who.index and r.events else "")
        for r in curve.itertuples()])
    return ax


def share_over_time(series: pd.DataFrame, chart_title: str, marks: pd.DataFrame | None = None,
                    ax: Axes | None = None, label: str = "departed share", narrow: bool = False,
                    window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> Axes:
    """Departed share against calendar date: a band where dates are ranges, with dated marks.

    `series` has columns date, lo, hi; `marks` (optional) has date and label columns, e.g. the
    days headlines ran; keep labels short (a number keyed to a table) so that close dates stay
    legible. `window` limits the x axis (a zoom); marks outside it are left out.
    """
    ax = axes_for(ax, narrow, (10, 5), 4.2)
    ax.fill_between(series["date"], series["lo"], series["hi"], step="post", color=COLORS["uncertain"], alpha=0.7,
                    linewidth=0, label="range where a date is uncertain")
    ax.step(series["date"], series["lo"], where="post", color=COLORS["leave"], label=label)
    ax.step(series["date"], series["hi"], where="post", color=COLORS["leave"], linewidth=0.8)
    ax.axhline(0.5, color="#555555", linestyle=":", linewidth=1)
    start, end = window or (series["date"].min(), series["date"].max())
    ax.set_xlim(start, end)
    ax.annotate("half", (start, 0.5), xytext=(2, 3), textcoords="offset points", fontsize=8)
    if marks is not None:
        shown = marks[(marks["date"] >= start) & (marks["date"] <= end)].sort_values("date")
        levels = _label_levels(shown["date"], (end - start) * (0.07 if narrow else 0.035))
        step = min(0.065, 0.95 / max(max(levels, default=0) + 1, 1))
        for row, level in zip(shown.itertuples(), levels):
            ax.axvline(row.date, color="#333333", linewidth=0.7, linestyle="--", gid="mark")
            ax.annotate(str(row.label), (row.date, 1.0 - step * level), xytext=(-3, 0), textcoords="offset points",
                        fontsize=7 if step < 0.05 else 8, va="top", ha="right", gid="mark-label",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#333333", "lw": 0.5})
            spot(ax, row.date, 1.0 - step * level, f"Claim {row.label} (numbered as in the table): as of {row.date:%Y-%m-%d}")
    inside = series[(series["date"] >= start) & (series["date"] <= end)]
    spots_along(ax, inside["date"], inside["lo"], [
        f"{r.date:%Y-%m-%d}: {_share(r.lo) if round(r.lo, 2) == round(r.hi, 2) else f'{_share(r.lo)} to {_share(r.hi)}'}"
        f" ({label})" for r in inside.itertuples()])
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    date_axis(ax.xaxis, narrow)
    ax.set_xlabel("Calendar date")
    ax.set_ylabel("Share of the cohort that had left")
    title(ax, chart_title, narrow)
    ax.legend(loc="lower right", fontsize=8 if narrow else 9, frameon=False)
    return ax


def _label_levels(dates: pd.Series, gap: pd.Timedelta) -> list[int]:
    """A row for each label, in date order: the lowest row whose last label is at least `gap` earlier,
    so labels of close dates stack instead of covering each other."""
    last: list[pd.Timestamp] = []
    levels = []
    for day in dates:
        level = next((i for i, seen in enumerate(last) if day - seen >= gap), len(last))
        if level == len(last):
            last.append(day)
        last[level] = day
        levels.append(level)
    return levels


BARS_UP_TO = 12
"""A yearly series longer than this is drawn as a line with a band: labelled bars would collide."""


def rates_by_year(table: pd.DataFrame, chart_title: str, ax: Axes | None = None, narrow: bool = False) -> Axes:
    """Departures per person-year at risk by calendar year (or block of years), with exact 95% intervals.

    Up to BARS_UP_TO periods, one labelled bar each (departures and person-years under it on a
    desktop chart); beyond that, the rate as a line inside its interval band.
    """
    shown = table[table["person_years"] > 0]
    per = int(table["years"].iloc[0]) if "years" in table and len(table) else 1
    unit = "Calendar year" if per == 1 else f"Calendar years, in blocks of {per}"
    if len(shown) > BARS_UP_TO:
        ax = axes_for(ax, narrow, (10, 4.5), 3.8)
        middle = shown["year"] + (per - 1) / 2
        ax.fill_between(middle, shown["rate_ci_lower"], shown["rate_ci_upper"], step="mid",
                        color=COLORS["leave"], alpha=0.2, linewidth=0, label="exact 95% interval")
        ax.step(middle, shown["rate"], where="mid", color=COLORS["leave"], label="departures per person-year")
        spots_along(ax, middle, shown["rate"], [_rate_text(r, per) for r in shown.itertuples()])
        ax.set_ylim(0, min(float(shown["rate_ci_upper"].max()), 3 * float(shown["rate"].max()) + 0.05))
        ax.legend(loc="upper right", frameon=False, fontsize=8 if narrow else 9)
    else:
        ax = axes_for(ax, narrow, (8, 4.5), 4.2)
        err = [shown["rate"] - shown["rate_ci_lower"], shown["rate_ci_upper"] - shown["rate"]]
        ticks = [f"{r.year}{f'-{r.year + per - 1}' if per > 1 else ''}{' (part)' if r.partial_year else ''}"
                 + ("" if narrow else f"\n{r.departures_mid} left in\n{r.person_years:.1f} person-yrs")
                 for r in shown.itertuples()]
        bars = ax.bar(ticks, shown["rate"], color=COLORS["leave"], alpha=0.8)
        ax.errorbar(ticks, shown["rate"], yerr=err, fmt="none", ecolor="#333333", capsize=4)
        # The value beside each bar's top, clear of its whisker, so a low year still reads as a number.
        for bar, rate in zip(bars, shown["rate"]):
            ax.annotate(f"{rate:.2f}", (bar.get_x() + bar.get_width() / 2, rate), xytext=(7, 3),
                        textcoords="offset points", fontsize=8 if narrow else 9, color="#333333")
        for bar, r in zip(bars, shown.itertuples()):
            spot(ax, bar.get_x(), 0, _rate_text(r, per), bar.get_x() + bar.get_width(), max(r.rate_ci_upper, r.rate))
        if narrow:
            ax.tick_params(axis="x", labelsize=8, labelrotation=90 if len(ticks) > 4 else 0)
    ax.set_xlabel(unit)
    ax.set_ylabel("Departures per person-year\n(1 = one leaves per person there a year)" if not narrow
                  else "Departures per person-year")
    title(ax, chart_title, narrow)
    return ax


def _rate_text(row, per: int) -> str:
    period = f"{row.year}" if per == 1 else f"{row.year}-{row.year + per - 1}"
    return (f"{period}{' (part of the year)' if row.partial_year else ''}: {row.rate:.2f} departures per person-year "
            f"(95% interval {row.rate_ci_lower:.2f} to {row.rate_ci_upper:.2f}); {row.departures_mid:g} left in "
            f"{row.person_years:.1f} person-years")


def counts_with_band(table: pd.DataFrame, unit: str, chart_title: str, ax: Axes | None = None,
                     narrow: bool = False) -> Axes:
    """People joining per month or year: bars (or a line, for long series) and the exact 95% Poisson band.

    `table` is attrition.overview.hires_by_period: period, hires, ci_lower, ci_upper.
    """
    ax = axes_for(ax, narrow, (10, 4.5), 3.8)
    width = {"month": 25, "year": 300, "decade": 3300}[unit]
    if len(table) <= 60:
        ax.bar(table["period"], table["hires"], width=width, align="edge", color=COLORS["active"], label="joined")
    else:
        ax.step(table["period"], table["hires"], where="post", color=COLORS["active"], linewidth=1, label="joined")
    ax.fill_between(table["period"], table["ci_lower"], table["ci_upper"], step="post", color=COLORS["active"],
                    alpha=0.15, linewidth=0, label="exact 95% interval of the underlying rate")
    when = {"month": "%B %Y", "year": "%Y", "decade": "the %Ys"}[unit]
    texts = [f"{r.period.strftime(when)}: {r.hires:,.0f} joined (rates that could give this count: "
             f"{r.ci_lower:,.1f} to {r.ci_upper:,.1f})" for r in table.itertuples()]
    if len(table) <= 60:
        for r, text in zip(table.itertuples(), texts):
            spot(ax, r.period, 0, text, r.period + pd.Timedelta(days=width), max(r.hires, r.ci_upper))
    else:
        spots_along(ax, table["period"], table["hires"], texts)
    ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    if narrow:
        date_axis(ax.xaxis, narrow)
    ax.set_xlabel("Calendar date")
    ax.set_ylabel(f"People joining per {unit}")
    title(ax, chart_title, narrow)
    ax.legend(loc="upper left", frameon=False, fontsize=8 if narrow else 9)
    return ax


def headcount_over_time(table: pd.DataFrame, chart_title: str, ax: Axes | None = None, narrow: bool = False) -> Axes:
    """People at the company over time: surely there (line) and possibly there (band, uncertain dates)."""
    ax = axes_for(ax, narrow, (10, 4.5), 3.8)
    ax.fill_between(table["date"], table["lo"], table["hi"], step="post", color=COLORS["uncertain"], alpha=0.8,
                    linewidth=0, label="possibly there (a date known only as a range)")
    ax.step(table["date"], table["lo"], where="post", color=COLORS["active"], label="surely there")
    spots_along(ax, table["date"], table["lo"], [_headcount_text(r) for r in table.itertuples()])
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if narrow:
        date_axis(ax.xaxis, narrow)
    ax.set_xlabel("Calendar date")
    ax.set_ylabel("People at the company")
    title(ax, chart_title, narrow)
    ax.legend(loc="upper left", frameon=False, fontsize=8 if narrow else 9)
    return ax


def _headcount_text(row) -> str:
    return f"{row.date:%Y-%m-%d}: {row.lo:,.0f} surely there" + (f", up to {row.hi:,.0f} possibly" if row.hi > row.lo else "")


def exact_vs_interval(curve: pd.DataFrame, npmle: pd.DataFrame, chart_title: str, ax: Axes | None = None,
                      narrow: bool = False) -> Axes:
    """The midpoint Kaplan-Meier curve over the band the interval-censored (Turnbull) fit allows."""
    ax = axes_for(ax, narrow, (9, 5), 4.2)
    finite = npmle[npmle.index < float("inf")]
    lower, upper = finite.min(axis=1), finite.max(axis=1)
    ax.fill_between(finite.index, lower, upper, step="pre", color=COLORS["uncertain"], alpha=0.8,
                    label="interval-censored fit (range it allows)")
    ax.step(finite.index, upper, where="pre", color="#777777", linewidth=0.8)
    ax.step(curve["days"], curve["survival"], where="post", color=COLORS["leave"], label="exact fit on date midpoints")
    band = pd.DataFrame({"lower": lower, "upper": upper})
    spots_along(ax, curve["days"], curve["survival"], [
        _step_text(r.days, r.survival, r.at_risk) + " on date midpoints; the date ranges allow "
        + _band_at(band, r.days) for r in curve.itertuples()])
    style_tenure_axes(ax, float(finite.index.max()), chart_title, narrow)
    ax.legend(loc="lower left", frameon=False, fontsize=8 if narrow else 9)
    return ax


def _band_at(band: pd.DataFrame, days: float) -> str:
    """The interval-censored range just after `days` (its steps change at the end of each interval)."""
    after = band[band.index >= days]
    row = after.iloc[0] if len(after) else band.iloc[-1]
    return f"{_share(row['lower'])} to {_share(row['upper'])}"


def hiring_timeline(roster: pd.DataFrame, reported: pd.DataFrame, per_month: pd.DataFrame, marks: pd.DataFrame,
                    window: tuple[pd.Timestamp, pd.Timestamp], chart_title: str, start: pd.Timestamp,
                    narrow: bool = False) -> Figure:
    """Three panels on one calendar: staff counts sources reported, the people our roster names, and
    named hires per month, with milestones and the window a claim is about shaded.

    roster: date, lo, hi; reported: end, value, measure; per_month: month, hires; marks: date, label
    (milestones; labels of milestones closer than a month are merged so they never overlap).
    """
    height = (2.6, 2.4, 2.0)
    fig, axes = plt.subplots(3, 1, figsize=(NARROW_WIDTH, 8.2) if narrow else (11, 9), sharex=True,
                             gridspec_kw={"height_ratios": height})
    counts, named, hires = axes
    end = max(roster["date"].max(), reported["end"].max() if len(reported) else start) + pd.Timedelta(days=30)
    for ax in axes:
        ax.axvspan(*window, color=COLORS["window"], alpha=0.45, linewidth=0)
        for row in marks.itertuples():
            ax.axvline(row.date, color="#777777", linestyle="--", linewidth=0.6)
    for measure, marker in (("technical_staff", "D"), ("employees", "o")):
        points = reported[reported["measure"] == measure]
        if not points.empty:
            counts.scatter(points["end"], points["value"], marker=marker, color="#222222", zorder=3,
                           label=measure.replace("_", " "))
            if not narrow:
                for p in points.itertuples():
                    counts.annotate(f"{p.value:,}", (p.end, p.value), xytext=(5, -2), textcoords="offset points",
                                    fontsize=8, va="top")
            for p in points.itertuples():
                spot(counts, p.end, p.value, f"{p.end:%Y-%m-%d}: a source reported {p.value:,} "
                     f"{measure.replace('_', ' ')}" + (f" ({p.qualifier})" if isinstance(p.qualifier, str) and p.qualifier
                                                       else ""))
    counts.set_yscale("log")
    counts.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    counts.set_ylabel("Staff a source\nreported (log)", fontsize=9)
    counts.legend(loc="upper left", fontsize=8, frameon=True, framealpha=0.9)
    named.fill_between(roster["date"], roster["lo"], roster["hi"], step="post", color=COLORS["uncertain"], alpha=0.8,
                       label="possibly there")
    named.step(roster["date"], roster["lo"], where="post", color=COLORS["active"], label="surely there")
    spots_along(named, roster["date"], roster["lo"], [_headcount_text(r) + " in our roster" for r in roster.itertuples()])
    named.set_ylim(bottom=0)
    named.set_ylabel("People our\nroster names", fontsize=9)
    named.legend(loc="upper left", fontsize=8, frameon=True, framealpha=0.9)
    hires.bar(per_month["month"], per_month["hires"], width=25, align="edge", color=COLORS["active"])
    for r in per_month[per_month["hires"] > 0].itertuples():
        spot(hires, r.month, 0, f"{r.month:%B %Y}: {r.hires:,} named hires", r.month + pd.Timedelta(days=25), r.hires)
    hires.set_ylabel("Named hires\nper month", fontsize=9)
    hires.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    hires.set_xlabel("Date (shaded: the claim's window)" if narrow else "Calendar date (shaded: the window the hiring claim is about)")
    if not narrow:
        for text, day in _merged_labels(marks):
            counts.annotate(text, (day, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -4),
                            textcoords="offset points", rotation=90, fontsize=7, va="top", ha="left", color="#333333",
                            gid="milestone-label")
    date_axis(hires.xaxis, narrow)
    hires.set_xlim(start, end)
    title(counts, chart_title, narrow)
    fig.tight_layout()
    return fig


def _merged_labels(marks: pd.DataFrame, days: int = 30) -> list[tuple[str, pd.Timestamp]]:
    """Milestone labels, those within `days` of the previous one joined into one label at the first date."""
    merged: list[tuple[str, pd.Timestamp]] = []
    for row in marks.sort_values("date").itertuples():
        if merged and (row.date - merged[-1][1]).days < days:
            merged[-1] = (f"{merged[-1][0]} / {row.label}", merged[-1][1])
        else:
            merged.append((str(row.label), row.date))
    return merged


def curves_by_lab(curves: pd.DataFrame, chart_title: str, highlight: str | None, max_years: float | None = None,
                  ax: Axes | None = None, by: str = "company", narrow: bool = False) -> Axes:
    """One Kaplan-Meier curve per lab (date midpoints), the highlighted lab drawn boldest.

    `curves` is attrition.peers.lab_curves: `by` (company or group), days, survival, followed
    (days) and a `tally` label. Each curve is tied to a label in the right margin (from its end, or
    from `max_years` where the axis stops); bands are left out so many curves stay readable (the
    table beside the chart gives the intervals). Curves that overlap (several labs with no
    departures sit on 100%) are drawn with different dash patterns, so each one stays visible.
    """
    import seaborn as sns

    ax = axes_for(ax, narrow, (10, 6), 4.8)
    labs = sorted(curves[by].unique())
    colors = [c for i, c in enumerate(sns.color_palette("tab10", 10)) if i != 3]  # tab10's red is the highlight's
    palette = {lab: colors[i % len(colors)] for i, lab in enumerate(labs)}
    dashes = [(None, None), (5, 2), (2, 2), (6, 2, 1, 2), (1, 1)]
    limit = max_years * 365.25 if max_years is not None else float(curves["followed"].max())
    ends = []
    for i, (lab, curve) in enumerate(curves.groupby(by, sort=True, observed=True)):
        bold = lab == highlight
        line, = ax.step(curve["days"], curve["survival"], where="post", color=COLORS["leave"] if bold else palette[lab],
                        linewidth=2.8 if bold else 1.6, alpha=1 if bold else 0.9)
        if not bold and dashes[i % len(dashes)][0] is not None:
            line.set_dashes(dashes[i % len(dashes)])
        x_end = min(float(curve["followed"].iloc[0]), limit)
        steps = curve[curve["days"] <= x_end]
        spots_along(ax, steps["days"], steps["survival"],
                    [_step_text(r.days, r.survival, r.at_risk, f"{lab}: ") for r in steps.itertuples()])
        ends.append((x_end, float(curve.loc[curve["days"] <= x_end, "survival"].iloc[-1]), lab,
                     curve["tally"].iloc[0], bold))
    ends.sort(key=lambda e: (-e[1], str(e[2])))
    step = 0.055 if narrow else 0.045
    placed: list[float] = []
    for x, y, lab, text, bold in ends:
        y_text = y
        while any(abs(y_text - p) < step for p in placed):
            y_text -= step
        placed.append(y_text)
        ax.annotate(text, (x, y), xytext=(1.01, y_text), textcoords=("axes fraction", "data"),
                    fontsize=7 if narrow else 8, va="center", fontweight="bold" if bold else "normal",
                    color=COLORS["leave"] if bold else palette[lab], gid="curve-label",
                    arrowprops={"arrowstyle": "-", "color": "#bbbbbb", "lw": 0.5})
    style_tenure_axes(ax, limit, chart_title, narrow)
    ax.set_xlim(0, limit)
    return ax


def curves_side_by_side(curves: list[tuple[pd.DataFrame, str, str]], max_days: float, chart_title: str,
                        ax: Axes | None = None, narrow: bool = False) -> Axes:
    """Several Kaplan-Meier curves on one tenure axis: (curve, label, colour) each, no bands."""
    ax = axes_for(ax, narrow, (9, 5), 4.2)
    for curve, label, color in curves:
        ax.step(curve["days"], curve["survival"], where="post", color=color, label=label)
        spots_along(ax, curve["days"], curve["survival"],
                    [_step_text(r.days, r.survival, r.at_risk, f"{label}: ") for r in curve.itertuples()])
    style_tenure_axes(ax, max_days, chart_title, narrow)
    ax.legend(loc="lower left", frameon=False, fontsize=8 if narrow else 9)
    return ax


def incidence_curves(curves: pd.DataFrame, labels: dict[str, str], chart_title: str, max_days: float,
                     ax: Axes | None = None, narrow: bool = False) -> Axes:
    """One step curve per cause (a destination category, a reason for leaving): the share of the group that had
    left for it, by time since joining, each in its 95% band (attrition.estimators.aalen_johansen)."""
    ax = axes_for(ax, narrow, (10, 5), 4.6)
    palette = plt.get_cmap("tab10")
    dashes = ["-", "--", "-.", ":"]
    for i, (cause, curve) in enumerate(curves.groupby("cause", sort=False)):
        years = pd.concat([curve["days"], pd.Series([max_days])]) / 365.25
        value = pd.concat([curve["incidence"], curve["incidence"].tail(1)])
        color = palette(i % 10)
        ax.step(years, value, where="post", color=color, linestyle=dashes[i % len(dashes)], linewidth=2,
                label=labels[cause])
        ax.fill_between(years, pd.concat([curve["lower"], curve["lower"].tail(1)]),
                        pd.concat([curve["upper"], curve["upper"].tail(1)]), step="post", color=color, alpha=0.08)
        spots_along(ax, curve["days"] / 365.25, curve["incidence"], [
            f"{labels[cause]}: {r.days / 365.25:.1f} years after joining, {_share(r.incidence)} of the group "
            f"(95% interval {_share(r.lower)} to {_share(r.upper)}); {r.at_risk:,.0f} followed"
            for r in curve.itertuples()])
    ax.set_xlim(0, max_days / 365.25)
    ax.set_ylim(0, min(1.0, float(curves["upper"].max()) + 0.05) if len(curves) else 1.0)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("Years since joining")
    ax.set_ylabel("Share who had left for it")
    ax.legend(loc="upper left", frameon=False, fontsize=8 if narrow else 9)
    title(ax, chart_title, narrow)
    return ax


def flow_grid(matrix: pd.DataFrame, chart_title: str, ax: Axes | None = None, narrow: bool = False) -> Axes:
    """A grid of counts: rows are the labs people left, columns where they went (labs in the data first,
    then kinds of destination outside it), the other way round on a phone; empty cells are blank."""
    import seaborn as sns

    left, went = "Lab they left", "Where they went"
    if narrow:  # on a phone the long list of destinations runs down the side, the few labs across
        matrix, left, went = matrix.T, went, left
    rows, cols = matrix.shape
    ax = axes_for(ax, narrow, (max(8, 0.9 * cols + 3), 0.55 * rows + 2.6), 0.45 * rows + 3.8)
    shown = matrix.where(matrix > 0)
    sns.heatmap(shown, annot=True, fmt=".0f", cmap="Reds", cbar=False, linewidths=0.5, linecolor="#dddddd",
                ax=ax, vmin=0, annot_kws={"fontsize": 9 if narrow else 11})
    ax.grid(False)
    for i, row in enumerate(matrix.index):
        for j, column in enumerate(matrix.columns):
            if matrix.iloc[i, j] > 0:
                spot(ax, j, i, f"{left}: {row}; {went.lower()}: {column}; {matrix.iloc[i, j]:.0f} people", j + 1, i + 1)
    ax.set_xlabel(went)
    ax.set_ylabel(left)
    ax.tick_params(axis="x", labelrotation=90 if narrow or cols > 6 else 30, labelsize=8 if narrow else 10)
    if not narrow and cols <= 6:
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.tick_params(axis="y", labelrotation=0, labelsize=8 if narrow else 10)
    title(ax, chart_title, narrow)
    return ax


def lineage_map(nodes: pd.DataFrame, edges: pd.DataFrame, chart_title: str, ax: Axes | None = None,
                narrow: bool = False) -> Axes:
    """Labs placed by the day their first founder joined (x) and in their own lane (y); an arrow from a
    lab to each lab its alumni founded, coloured by where it starts, as thick as the number of founders
    and labelled with it near its head.

    `nodes`: label, founded (timestamp), lane; `edges`: source, target (labels), founders.
    """
    ax = axes_for(ax, narrow, (10, 0.6 * len(nodes) + 2), 0.7 * len(nodes) + 2.4)
    place = {r.label: (mdates.date2num(r.founded), r.lane) for r in nodes.itertuples()}
    palette = plt.get_cmap("tab10")
    colors = {source: palette(i % 10) for i, source in enumerate(dict.fromkeys(edges["source"]))}
    for e in edges.itertuples():
        (x0, y0), (x1, y1) = place[e.source], place[e.target]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "color": colors[e.source], "alpha": 0.6,
                                "linewidth": 1 + 0.8 * e.founders, "shrinkA": 8, "shrinkB": 8})
        ax.text(x0 + 0.8 * (x1 - x0), y0 + 0.8 * (y1 - y0), str(e.founders), fontsize=8 if narrow else 10,
                ha="center", va="center", bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": colors[e.source]})
        spot(ax, x0 + 0.8 * (x1 - x0), y0 + 0.8 * (y1 - y0),
             f"{e.target} was co-founded by {e.founders} former {e.source} staff")
    ax.legend(handles=[Patch(color=c, alpha=0.6, label=f"from {s}") for s, c in colors.items()], loc="upper left",
              frameon=False, fontsize=8 if narrow else 9, title="Founders who had worked at", title_fontsize=8 if narrow else 9)
    ax.scatter([p[0] for p in place.values()], [p[1] for p in place.values()], s=60, color="#333333", zorder=3)
    for label, (x, y) in place.items():
        ax.annotate(label, (x, y), xytext=(0, 9), textcoords="offset points", ha="center",
                    fontsize=8 if narrow else 10, fontweight="bold")
    for r in nodes.itertuples():
        spot(ax, *place[r.label], f"{r.label}: its first founder joined on {r.founded:%Y-%m-%d}")
    ax.xaxis_date()
    ax.xaxis.set_major_locator(mdates.YearLocator(4 if narrow else 2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    first, last = nodes["founded"].min(), nodes["founded"].max()
    ax.set_xlim(mdates.date2num(first) - 500, mdates.date2num(last) + 500)
    ax.set_ylim(-0.8, len(nodes) - 0.2)
    ax.set_yticks([])
    ax.set_xlabel("When the lab's first founder joined")
    ax.set_ylabel("Labs in the data")
    title(ax, chart_title, narrow)
    return ax


def month_panels(frame: pd.DataFrame, labels: dict[str, str], chart_title: str, narrow: bool = False) -> Figure:
    """One bar panel per company on a shared calendar: people joining each month (frame: company, month, hires)."""
    companies = list(dict.fromkeys(frame["company"]))
    fig, axes = plt.subplots(len(companies), 1, sharex=True, squeeze=False,
                             figsize=(NARROW_WIDTH, 1.5 * len(companies) + 1.6) if narrow else (11, 1.4 * len(companies) + 1.4))
    for ax, company in zip(axes[:, 0], companies):
        rows = frame[frame["company"] == company]
        edges = pd.concat([rows["month"], rows["month"].tail(1) + pd.offsets.MonthBegin(1)])
        ax.stairs(rows["hires"], mdates.date2num(edges), fill=True, color=COLORS["active"])  # solid at any width
        busy = rows[rows["hires"] > 0]
        spots_along(ax, mdates.date2num(busy["month"] + pd.Timedelta(days=14)), busy["hires"],
                    [f"{labels[company]}, {r.month:%B %Y}: {r.hires:,} joined" for r in busy.itertuples()])
        ax.set_ylabel(textwrap.fill(labels[company], 12), fontsize=8 if narrow else 9, rotation=0, ha="right", va="center")
        ax.yaxis.set_major_locator(plt.MaxNLocator(3, integer=True))
        ax.set_ylim(0, max(1, int(frame["hires"].max())) * 1.1)
    bottom = axes[-1, 0]
    bottom.set_xlabel("Month people joined (height: people that month)")
    locator = mdates.AutoDateLocator(minticks=3, maxticks=5 if narrow else 12)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    title(axes[0, 0], chart_title, narrow)
    fig.tight_layout()
    return fig


def retention_against_published(table: pd.DataFrame, chart_title: str, years: float, ax: Axes | None = None,
                                narrow: bool = False) -> Axes:
    """Per lab (table: label, published, and retained / ci_lower / ci_upper per censoring rule): the
    open roster's share still there after `years`, as a 95% interval under each rule, and the published figure."""
    ax = axes_for(ax, narrow, (10, 1.1 * len(table) + 1.8), 0.9 * len(table) + 2.8)
    rules = (("observed", "open data, followed to last review", COLORS["active"], -0.12),
             ("freeze", "open data, open entries taken as current", "#85c1e9", 0.12))
    positions = range(len(table))
    for rule, label, color, shift in rules:
        y = [p + shift for p in positions]
        ax.hlines(y, table[f"ci_lower_{rule}"], table[f"ci_upper_{rule}"], color=color, linewidth=3, label=label)
        ax.plot(table[f"retained_{rule}"], y, "o", color=color, markeredgecolor="white")
    ax.plot(table["published"], list(positions), "D", color="#222222", markersize=8, label="published (SignalFire)")
    for p, r in zip(positions, table.itertuples()):
        spot(ax, 0, p - 0.4, f"{r.label}: published {_share(r.published)}; open roster {_share(r.retained_observed)} "
             f"(95% interval {_share(r.ci_lower_observed)} to {_share(r.ci_upper_observed)}) followed to last review, "
             f"{_share(r.retained_freeze)} ({_share(r.ci_lower_freeze)} to {_share(r.ci_upper_freeze)}) if still "
             f"listed means still there", 1, p + 0.4)
    if narrow:  # on a phone the lab names sit above their lines, leaving the width to the scale
        ax.set_yticks(list(positions), [""] * len(table))
        for p, label in zip(positions, table["label"]):
            ax.annotate(label, (0.01, p - 0.3), fontsize=9, fontweight="bold", va="bottom")
    else:
        ax.set_yticks(list(positions), table["label"])
    ax.set_ylim(len(table) - 0.5, -0.6)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(f"Still there {years:g} years after joining (95% intervals)" if narrow else
                  f"Share still there {years:g} years after joining (lines: 95% intervals)")
    if narrow:
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.2), frameon=False, fontsize=8)
    else:
        ax.legend(loc="lower left", frameon=True, framealpha=0.9, fontsize=9)
    title(ax, chart_title, narrow)
    return ax
