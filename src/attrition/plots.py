"""Shared chart style and the charts the notebooks draw, so every figure looks and reads the same.

Charts never compute findings themselves: the caller passes tables from the package and a title
that states the finding.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from attrition.text import END_WORDS, format_interval

COLORS = {
    "leave": "#c0392b",
    "step_back": "#e67e22",
    "active": "#2e86c1",
    "uncertain": "#bbbbbb",
}


def use_style() -> None:
    """One look for every chart: white grid, readable font sizes, PNG at the default resolution."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": 100, "axes.titleweight": "bold", "axes.titlesize": 13})


def swimlane(table: pd.DataFrame, title: str, ax: Axes | None = None) -> Axes:
    """One bar per spell from join to leave; grey ends where the date is only known as a range.

    `table` is a slice of `attrition.spells()`; spells still open at its as-of date end in an arrow.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.45 * len(table) + 1.6))
    as_of = table["as_of"].iloc[0]
    order = table.assign(_end=table["end_lo"].where(table["status"] != "active", pd.Timestamp.max))
    order = order.sort_values(["_end", "start_lo", "name"], ascending=[False, True, True], ignore_index=True)
    for y, row in order.iterrows():
        gone = row["status"] != "active"
        color = COLORS[row["end_event"]] if gone else COLORS["active"]
        solid_end = row["end_lo"] if gone else as_of
        ax.barh(y, solid_end - row["start_hi"], left=row["start_hi"], color=color, height=0.6)
        if row["start_hi"] > row["start_lo"]:
            ax.barh(y, row["start_hi"] - row["start_lo"], left=row["start_lo"], color=COLORS["uncertain"], height=0.6)
        if gone and row["end_hi"] > row["end_lo"]:
            end_hi = min(row["end_hi"], as_of)
            ax.barh(y, end_hi - row["end_lo"], left=row["end_lo"], color=COLORS["uncertain"], height=0.6)
        if gone:
            label = f"{END_WORDS[row['end_event']]} {format_interval(row['end_lo'], row['end_hi'])}"
            ax.annotate(label, (min(row["end_hi"], as_of), y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8)
        else:
            ax.plot([as_of], [y], marker=">", color=color, markersize=7)
    ax.set_yticks(range(len(order)), order["name"])
    ax.set_ylim(len(order) - 0.4, -0.6)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.tick_params(axis="x", labelrotation=0, labelsize=9)
    ax.set_xlabel(f"Calendar date (as of {as_of:%Y-%m-%d})")
    ax.set_ylabel("")
    ax.set_title(title, loc="left")
    left = order["start_lo"].min() - pd.Timedelta(days=30)
    ax.set_xlim(left, as_of + pd.Timedelta(days=150))
    handles = [
        Patch(color=COLORS["leave"], label="at the company, then left"),
        Patch(color=COLORS["step_back"], label="at the company, then stepped back"),
        Patch(color=COLORS["active"], label="still there (arrow: as-of date)"),
        Patch(color=COLORS["uncertain"], label="date known only as a range"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False, fontsize=9)
    return ax


def style_tenure_axes(ax: Axes, max_days: float, title: str) -> None:
    """Axes of a tenure chart: years since joining across (a tick every 1, 2, 5 or 10 years), share still there up."""
    span = max_days / 365.25
    step = 1 if span <= 12 else 2 if span <= 24 else 5 if span <= 60 else 10
    years = range(0, int(span // step) * step + 2 * step, step)
    ax.set_xticks([y * 365.25 for y in years], [f"{y}" for y in years])
    ax.set_xlim(0, max_days * 1.02 + 1)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("Years since joining")
    ax.set_ylabel("Share still at the company")
    ax.set_title(title, loc="left")


def at_risk_row(ax: Axes, curve: pd.DataFrame, label: str = "At risk") -> None:
    """Under the x axis, the number still at risk at the start of each tick's period."""
    total = int(curve["events"].sum() + curve["censored"].sum())
    removed = (curve["events"] + curve["censored"]).cumsum()
    lo, hi = ax.get_xlim()
    for tick in ax.get_xticks():
        if lo <= tick <= hi:
            gone_before = int(removed[curve["days"] < tick].iloc[-1]) if (curve["days"] < tick).any() else 0
            ax.annotate(f"{total - gone_before}", (tick, 0), xycoords=("data", "axes fraction"), xytext=(0, -26),
                        textcoords="offset points", ha="center", va="top", fontsize=9)
    ax.annotate(label, (0, 0), xycoords="axes fraction", xytext=(-8, -26), textcoords="offset points", ha="right",
                va="top", fontsize=9, fontweight="bold")
    ax.xaxis.labelpad = 22


def survival_curve(curve: pd.DataFrame, tenure: pd.DataFrame, title: str, ax: Axes | None = None,
                   label_departures: bool = True, scenario: str = "midpoint") -> Axes:
    """Kaplan-Meier curve with its 95% band, at-risk counts under the axis and each departure named.

    `curve` comes from attrition.estimators; names are stacked in a column at the right, in the
    order people left, each tied to its step by a thin line, so clustered departures never overlap.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 6))
    ax.fill_between(curve["days"], curve["lower"], curve["upper"], step="post", color=COLORS["leave"], alpha=0.2,
                    linewidth=0)
    ax.step(curve["days"], curve["survival"], where="post", color=COLORS["leave"])
    style_tenure_axes(ax, float(tenure[f"{scenario}_days"].max()), title)
    if label_departures:
        gone = tenure[tenure[f"{scenario}_left"]].sort_values(f"{scenario}_days")
        n = len(gone)
        for i, row in enumerate(gone.itertuples()):
            t = getattr(row, f"{scenario}_days")
            y_step = float(curve.loc[curve["days"] <= t, "survival"].iloc[-1])
            y_text = 0.97 - i * (0.9 / max(n - 1, 1))
            ax.annotate(row.name, (t, y_step), xytext=(1.02, y_text), textcoords=("axes fraction", "data"),
                        fontsize=8, va="center",
                        arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6, "shrinkA": 2, "shrinkB": 2})
    at_risk_row(ax, curve)
    return ax


def share_over_time(series: pd.DataFrame, title: str, marks: pd.DataFrame | None = None,
                    ax: Axes | None = None, label: str = "departed share") -> Axes:
    """Departed share against calendar date: a band where dates are ranges, with dated marks.

    `series` has columns date, lo, hi; `marks` (optional) has date and label columns, e.g. the
    days headlines ran; keep labels short (a number keyed to a table) so that close dates stay legible.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5))
    ax.fill_between(series["date"], series["lo"], series["hi"], step="post", color=COLORS["uncertain"], alpha=0.7,
                    linewidth=0, label="range where a date is uncertain")
    ax.step(series["date"], series["lo"], where="post", color=COLORS["leave"], label=label)
    ax.step(series["date"], series["hi"], where="post", color=COLORS["leave"], linewidth=0.8)
    ax.axhline(0.5, color="#555555", linestyle=":", linewidth=1)
    ax.annotate("half", (series["date"].iloc[0], 0.5), xytext=(2, 3), textcoords="offset points", fontsize=8)
    if marks is not None:
        for i, row in enumerate(marks.sort_values("date").itertuples()):
            ax.axvline(row.date, color="#333333", linewidth=0.7, linestyle="--")
            ax.annotate(str(row.label), (row.date, 1.0 - 0.055 * (i % 8)), xytext=(-3, 0), textcoords="offset points",
                        fontsize=8, va="top", ha="right",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#333333", "lw": 0.5})
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlabel("Calendar date")
    ax.set_ylabel("Share of the cohort that had left")
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", fontsize=9, frameon=False)
    return ax


BARS_UP_TO = 12
"""A yearly series longer than this is drawn as a line with a band: labelled bars would collide."""


def rates_by_year(table: pd.DataFrame, title: str, ax: Axes | None = None) -> Axes:
    """Departures per person-year at risk by calendar year, with exact 95% intervals.

    Up to BARS_UP_TO years, one labelled bar per year (departures and person-years under it);
    beyond that, the rate as a line inside its interval band.
    """
    shown = table[table["person_years"] > 0]
    per = int(table["years"].iloc[0]) if "years" in table and len(table) else 1
    unit = "Calendar year" if per == 1 else f"Calendar years, in blocks of {per}"
    if len(shown) > BARS_UP_TO:
        if ax is None:
            _, ax = plt.subplots(figsize=(10, 4.5))
        middle = shown["year"] + (per - 1) / 2
        ax.fill_between(middle, shown["rate_ci_lower"], shown["rate_ci_upper"], step="mid",
                        color=COLORS["leave"], alpha=0.2, linewidth=0, label="exact 95% interval")
        ax.step(middle, shown["rate"], where="mid", color=COLORS["leave"], label="departures per person-year")
        ax.set_ylim(0, min(float(shown["rate_ci_upper"].max()), 3 * float(shown["rate"].max()) + 0.05))
        ax.legend(loc="upper right", frameon=False, fontsize=9)
        ax.set_xlabel(unit)
        ax.set_ylabel("Departures per person-year")
        ax.set_title(title, loc="left")
        return ax
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    err = [shown["rate"] - shown["rate_ci_lower"], shown["rate_ci_upper"] - shown["rate"]]
    ticks = [f"{r.year}{f'-{r.year + per - 1}' if per > 1 else ''}{' (part)' if r.partial_year else ''}\n"
             f"{r.departures_mid} left in\n{r.person_years:.1f} person-yrs"
             for r in shown.itertuples()]
    ax.bar(ticks, shown["rate"], color=COLORS["leave"], alpha=0.8)
    ax.errorbar(ticks, shown["rate"], yerr=err, fmt="none", ecolor="#333333", capsize=4)
    ax.set_xlabel(unit)
    ax.set_ylabel("Departures per person-year")
    ax.set_title(title, loc="left")
    return ax


def counts_with_band(table: pd.DataFrame, unit: str, title: str, ax: Axes | None = None) -> Axes:
    """People joining per month or year: bars (or a line, for long series) and the exact 95% Poisson band.

    `table` is attrition.overview.hires_by_period: period, hires, ci_lower, ci_upper.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.5))
    width = {"month": 25, "year": 300, "decade": 3300}[unit]
    if len(table) <= 60:
        ax.bar(table["period"], table["hires"], width=width, align="edge", color=COLORS["active"], label="joined")
    else:
        ax.step(table["period"], table["hires"], where="post", color=COLORS["active"], linewidth=1, label="joined")
    ax.fill_between(table["period"], table["ci_lower"], table["ci_upper"], step="post", color=COLORS["active"],
                    alpha=0.15, linewidth=0, label="exact 95% interval of the underlying rate")
    ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Calendar date")
    ax.set_ylabel(f"People joining per {unit}")
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    return ax


def headcount_over_time(table: pd.DataFrame, title: str, ax: Axes | None = None) -> Axes:
    """People at the company over time: surely there (line) and possibly there (band, uncertain dates)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.5))
    ax.fill_between(table["date"], table["lo"], table["hi"], step="post", color=COLORS["uncertain"], alpha=0.8,
                    linewidth=0, label="possibly there (a date known only as a range)")
    ax.step(table["date"], table["lo"], where="post", color=COLORS["active"], label="surely there")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("Calendar date")
    ax.set_ylabel("People at the company")
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    return ax


def exact_vs_interval(curve: pd.DataFrame, npmle: pd.DataFrame, title: str, ax: Axes | None = None) -> Axes:
    """The midpoint Kaplan-Meier curve over the band the interval-censored (Turnbull) fit allows."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    finite = npmle[npmle.index < float("inf")]
    lower, upper = finite.min(axis=1), finite.max(axis=1)
    ax.fill_between(finite.index, lower, upper, step="pre", color=COLORS["uncertain"], alpha=0.8,
                    label="interval-censored fit (range it allows)")
    ax.step(finite.index, upper, where="pre", color="#777777", linewidth=0.8)
    ax.step(curve["days"], curve["survival"], where="post", color=COLORS["leave"], label="exact fit on date midpoints")
    style_tenure_axes(ax, float(finite.index.max()), title)
    ax.legend(loc="lower left", frameon=False, fontsize=9)
    return ax


def hiring_timeline(per_month: pd.DataFrame, roster: pd.DataFrame, reported: pd.DataFrame, marks: pd.DataFrame,
                    departures: pd.Series, title: str, start: pd.Timestamp) -> plt.Figure:
    """Hires per month under a headcount panel, with milestones and founder departures marked.

    per_month: month, hires (named hires whose join month is known); roster: date, lo, hi (named
    people at the company); reported: end, value, measure (staff counts sources published);
    marks: date, label (milestones); departures: dates of founder departures.
    """
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    top.fill_between(roster["date"], roster["lo"], roster["hi"], step="post", color=COLORS["uncertain"], alpha=0.8,
                     label="named people in our roster (range)")
    top.step(roster["date"], roster["lo"], where="post", color=COLORS["active"], label="named people, certain")
    for measure, marker in (("technical_staff", "D"), ("employees", "o")):
        points = reported[reported["measure"] == measure]
        if not points.empty:
            top.scatter(points["end"], points["value"], marker=marker, color="#222222", zorder=3,
                        label=f"reported by a source: {measure.replace('_', ' ')}")
            for p in points.itertuples():
                top.annotate(f"{p.value:,}", (p.end, p.value), xytext=(5, 0), textcoords="offset points", fontsize=8,
                             va="center")
    top.set_yscale("log")
    top.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    top.set_ylabel("People (log scale)")
    top.plot(departures, [top.get_ylim()[0] * 1.15] * len(departures), "v", color=COLORS["leave"], markersize=7,
             label="a founder leaves", linestyle="none")
    top.legend(loc="center left", fontsize=8, frameon=True, framealpha=0.9)
    top.set_title(title, loc="left")
    bottom.bar(per_month["month"], per_month["hires"], width=25, align="edge", color=COLORS["active"])
    bottom.set_ylabel("Named hires per month")
    bottom.set_xlabel("Calendar date")
    bottom.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    for i, row in enumerate(marks.sort_values("date").itertuples()):
        for ax in (top, bottom):
            ax.axvline(row.date, color="#555555", linestyle="--", linewidth=0.7)
        top.annotate(row.label, (row.date, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -4),
                     textcoords="offset points", rotation=90, fontsize=7, va="top", ha="left", color="#333333")
    bottom.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    bottom.set_xlim(start, roster["date"].max() + pd.Timedelta(days=30))
    fig.tight_layout()
    return fig


def curves_by_lab(curves: pd.DataFrame, title: str, highlight: str | None, max_years: float | None = None,
                  ax: Axes | None = None, by: str = "company") -> Axes:
    """One Kaplan-Meier curve per lab (date midpoints), the highlighted lab drawn boldest.

    `curves` is attrition.peers.lab_curves: `by` (company or group), days, survival, followed
    (days) and a `tally` label. Each curve is tied to a label in the right margin (from its end, or from `max_years`
    where the axis stops); bands are left out so many curves stay readable (the table beside
    the chart gives the intervals). Colours cycle, so any number of labs can be drawn.
    """
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 6))
    labs = sorted(curves[by].unique())
    colors = [c for i, c in enumerate(sns.color_palette("tab10", 10)) if i != 3]  # tab10's red is the highlight's
    palette = {lab: colors[i % len(colors)] for i, lab in enumerate(labs)}
    limit = max_years * 365.25 if max_years is not None else float(curves["followed"].max())
    ends = []
    for lab, curve in curves.groupby(by, sort=True, observed=True):
        bold = lab == highlight
        ax.step(curve["days"], curve["survival"], where="post", color=COLORS["leave"] if bold else palette[lab],
                linewidth=2.8 if bold else 1.4, alpha=1 if bold else 0.85)
        x_end = min(float(curve["followed"].iloc[0]), limit)
        ends.append((x_end, float(curve.loc[curve["days"] <= x_end, "survival"].iloc[-1]), lab,
                     curve["tally"].iloc[0], bold))
    ends.sort(key=lambda e: -e[1])
    placed: list[float] = []
    for x, y, lab, text, bold in ends:
        y_text = y
        while any(abs(y_text - p) < 0.045 for p in placed):
            y_text -= 0.045
        placed.append(y_text)
        ax.annotate(text, (x, y), xytext=(1.01, y_text), textcoords=("axes fraction", "data"), fontsize=8,
                    va="center", fontweight="bold" if bold else "normal",
                    color=COLORS["leave"] if bold else palette[lab],
                    arrowprops={"arrowstyle": "-", "color": "#bbbbbb", "lw": 0.5})
    style_tenure_axes(ax, limit, title)
    ax.set_xlim(0, limit)
    return ax


def curves_side_by_side(curves: list[tuple[pd.DataFrame, str, str]], max_days: float, title: str,
                        ax: Axes | None = None) -> Axes:
    """Several Kaplan-Meier curves on one tenure axis: (curve, label, colour) each, no bands."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    for curve, label, color in curves:
        ax.step(curve["days"], curve["survival"], where="post", color=color, label=label)
    style_tenure_axes(ax, max_days, title)
    ax.legend(loc="lower left", frameon=False, fontsize=9)
    return ax
