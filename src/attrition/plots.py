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

COLORS = {
    "leave": "#c0392b",
    "step_back": "#e67e22",
    "active": "#2e86c1",
    "uncertain": "#bbbbbb",
}
END_WORDS = {"leave": "left", "step_back": "stepped back"}


def use_style() -> None:
    """One look for every chart: white grid, readable font sizes, PNG at the default resolution."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": 100, "axes.titleweight": "bold", "axes.titlesize": 13})


def format_interval(lo: pd.Timestamp, hi: pd.Timestamp) -> str:
    """A date interval as a reader says it: one day, one month, or 'from to'."""
    if lo == hi:
        return lo.strftime("%Y-%m-%d")
    if (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31) and lo.year == hi.year:
        return str(lo.year)
    if lo.day == 1 and hi == lo + pd.offsets.MonthEnd(0):
        return lo.strftime("%b %Y")
    return f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}"


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
