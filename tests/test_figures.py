"""Every chart the pages show, drawn wide and narrow, checked by looking at it: nbval ignores images,
so these tests read the figure itself (axis limits, tick labels, marks, named labels)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from attrition import load  # noqa: E402
from attrition.claims import ledger as claims
from attrition.findings.finding import MIME
from attrition.io.importers import aiwatch
from attrition.site import figures, presentation


@pytest.fixture(scope="module")
def charts() -> dict[str, figures.Chart]:
    ds = load()
    open_ds = aiwatch.open_roster(ds.data_dir / "aiwatch")
    table = presentation.founder_claims(ds, claims.evaluate(ds), "xai").frame
    return {
        "founder tenure": figures.founder_tenure(ds, "xai"),
        "hire tenure": figures.hire_tenure(ds, "xai"),
        "founder survival": figures.founder_survival(ds, "xai"),
        "share with claims": figures.share_with_claims(ds, "xai", table, exclude=("elon-musk",)),
        "share with claims, zoom": figures.share_with_claims(ds, "xai", table, exclude=("elon-musk",), zoom=True),
        "departure rates": figures.departure_rates(ds, "xai"),
        "exact vs interval": figures.exact_vs_interval(ds, "xai"),
        "founders vs hires": figures.founders_vs_hires(ds, "xai"),
        "hiring timeline": figures.hiring_timeline(ds, "xai", ("2024-02-01", "2024-03-31"),
                                                   ["grok-1-5", "grok-1-5v", "colossus-online", "grok-2",
                                                    "spacex-merger-announced"]),
        "lab curves": figures.lab_curves(ds),
        "roster survival": figures.roster_survival(ds, "openai", None, "people"),
        "roster joins": figures.roster_joins(ds, "openai", None),
        "roster headcount": figures.roster_headcount(ds, "openai", None, "people"),
        "destination incidence": figures.destination_incidence(ds),
        "flows": figures.flow_chart(ds),
        "lineage": figures.lineage_chart(ds),
        "open roster hires": figures.open_hires_chart(open_ds),
        "open roster retention": figures.open_retention_chart(ds, open_ds, "fortune-2025-06-03-signalfire"),
    }


def _overlaps(texts, renderer) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), Text.get_window_extent(t, renderer)) for t in texts if t.get_visible() and t.get_text()]
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
            if box_a.overlaps(box_b) and box_a.intersection(box_a, box_b).width > 1
            and box_a.intersection(box_a, box_b).height > 1]


@pytest.mark.parametrize("narrow", [False, True], ids=["wide", "narrow"])
def test_every_chart_has_a_title_labelled_axes_and_legible_ticks(charts, narrow) -> None:
    for name, chart in charts.items():
        fig = chart.figure(narrow)
        try:
            renderer = fig.canvas.get_renderer()
            axes = [ax for ax in fig.axes if ax.has_data()]
            assert axes, name
            assert any(ax.get_title(loc="left") for ax in fig.axes), f"{name}: no title"
            assert chart.alt.startswith(chart.title), name
            for ax in axes:
                shares_x = len(ax.get_shared_x_axes().get_siblings(ax)) > 1  # siblings always include ax itself
                assert ax.get_xlabel() or ax.get_ylabel() or shares_x, f"{name}: an axes with no label of its own"
                ticks = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
                if not ticks:  # a panel sharing its calendar with the panel below, which carries the ticks
                    assert len(ax.get_shared_x_axes().get_siblings(ax)) > 1, f"{name}: no x tick labels"
                    continue
                assert 1 <= len(ticks) <= (8 if narrow else 16), f"{name}: {len(ticks)} x tick labels"
                assert _overlaps(ticks, renderer) == [], f"{name}: x tick labels overlap"
                assert _overlaps([t for t in ax.get_yticklabels() if t.get_text()], renderer) == [], name
            named = [t for ax in fig.axes for t in ax.texts
                     if t.get_gid() in ("departure-name", "curve-label", "milestone-label", "mark-label")]
            assert _overlaps(named, renderer) == [], f"{name}: named labels overlap"
        finally:
            plt.close(fig)


def test_claim_marks_sit_on_their_dates_inside_the_plotted_range(charts) -> None:
    """The old chart dated its marks from a table's row numbers (1970) and squeezed the curve to one edge."""
    for name in ("share with claims", "share with claims, zoom"):
        fig = charts[name].figure()
        try:
            ax = fig.axes[0]
            lo, hi = ax.get_xlim()
            marks = [line for line in ax.lines if line.get_gid() == "mark"]
            assert marks, f"{name}: no claim marks"
            for line in marks:
                x = line.get_xdata()[0]
                x = x if isinstance(x, float) else mdates.date2num(x)
                assert mdates.num2date(x).year == 2026 and lo <= x <= hi, name
            labels = [t.get_text() for t in ax.texts if t.get_gid() == "mark-label"]
            assert labels and all(label.isdigit() for label in labels)
        finally:
            plt.close(fig)
    zoom = charts["share with claims, zoom"].figure()
    whole = charts["share with claims"].figure()
    try:
        assert zoom.axes[0].get_xlim()[1] - zoom.axes[0].get_xlim()[0] < 120, "the zoom shows weeks, not years"
        assert whole.axes[0].get_xlim()[0] < mdates.date2num(pd.Timestamp("2023-08-01"))
    finally:
        plt.close(zoom)
        plt.close(whole)


def test_each_chart_plots_its_data_inside_its_axes(charts) -> None:
    for name in ("founder survival", "lab curves", "founders vs hires", "roster survival"):
        fig = charts[name].figure()
        try:
            ax = fig.axes[0]
            x0, x1 = ax.get_xlim()
            y0, y1 = ax.get_ylim()
            for line in ax.lines:
                ys = pd.Series(line.get_ydata(), dtype=float).dropna()
                assert ys.between(y0, y1).all(), name
                xs = pd.Series(line.get_xdata(), dtype=float).dropna()
                assert xs.min() >= x0 - 1e-9, name
        finally:
            plt.close(fig)


def test_every_lab_stays_visible_on_the_peer_chart(charts) -> None:
    """Overlapping curves (labs with no departures at 100%) are told apart by dash pattern."""
    fig = charts["lab curves"].figure()
    try:
        ax = fig.axes[0]
        # The colour and the dash pattern itself (matplotlib keeps it, unscaled, on the line; get_linestyle says only
        # "--" for every pattern), so fourteen labs drawn with nine colours stay told apart.
        styles = [(tuple(line.get_color()) if not isinstance(line.get_color(), str) else line.get_color(),
                   line.get_linestyle(), str(line._unscaled_dash_pattern)) for line in ax.lines]
        assert len(ax.lines) == load().company_names.__len__() and len(set(styles)) == len(styles)
        labels = [t.get_text() for t in ax.texts if t.get_gid() == "curve-label"]
        assert any(label.startswith("Anthropic") for label in labels) and not any("anthropic" in l for l in labels)
    finally:
        plt.close(fig)


@pytest.mark.slow
def test_chart_pictures_are_identical_from_run_to_run() -> None:
    chart = figures.founder_survival(load(), "xai")
    assert chart.png() == chart.png() and chart.png(narrow=True) != chart.png()


def test_chart_pictures_carry_alt_text_and_safe_data() -> None:
    chart = figures.founder_survival(load(), "xai")
    bundle, meta = chart._repr_mimebundle_()
    assert bundle["text/plain"] == chart.alt and meta["image/png"]["alt"] == chart.alt
    assert meta["image/png"]["svg"].startswith("<?xml") and meta["image/png"]["narrow_svg"] != meta["image/png"]["svg"]
    assert set(bundle) == {"image/png", "text/plain", "text/csv", MIME}, "SVGs ride in metadata, which nbval skips"
    risky = figures.Chart("t", "t. a", pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@a", "ok"]}),
                          lambda narrow: plt.figure())
    assert risky.csv().splitlines()[1:] == ["\"'=HYPERLINK(\"\"http://x\"\")\"", "'+1", "'-2", "'@a", "ok"]


@pytest.mark.parametrize("narrow", [False, True], ids=["wide", "narrow"])
def test_every_departure_rate_is_written_beside_its_bar(charts, narrow) -> None:
    """A year with a low rate must still read as a number, not as an invisible sliver next to 2026."""
    chart = charts["departure rates"]
    fig = chart.figure(narrow)
    try:
        ax = fig.axes[0]
        written = [t.get_text() for t in ax.texts]
        assert written == [f"{r:.2f}" for r in chart.data.loc[chart.data["person_years"] > 0, "rate"]]
        assert "person-year" in ax.get_ylabel()
    finally:
        plt.close(fig)


@pytest.mark.parametrize("narrow", [False, True], ids=["wide", "narrow"])
def test_every_chart_tells_its_values_where_a_reader_points(charts, narrow) -> None:
    """Each chart leaves spots inside its picture, each saying a date or time, a value and who it counts."""
    for name, chart in charts.items():
        spots = chart.drawing(narrow, png=False).spots
        assert spots, f"{name}: nothing to point at"
        assert len(spots) <= 400, f"{name}: {len(spots)} spots"
        for x0, y0, x1, y1, text in spots:
            assert 0 <= x0 <= x1 <= 1 and 0 <= y0 <= y1 <= 1, (name, text)
            assert re.search(r"\d", text) and len(text) > 12, (name, text)


def test_every_column_of_every_chart_is_explained_with_its_unit(charts) -> None:
    from attrition.site.downloads import COLUMN_NOTES

    for name, chart in charts.items():
        missing = [c for c in chart.data.columns if c not in COLUMN_NOTES]
        assert missing == [], f"{name}: no note for {missing}"


@pytest.mark.parametrize("people", [12, 2_850, 1_234_567])
def test_the_at_risk_label_clears_the_first_count_however_wide(people) -> None:
    """'At risk' sits left of the count under the axis's first tick (it ran into '2,850' on a court's page)."""
    from attrition.site import plots

    curve = pd.DataFrame({"days": [0.0, 400.0, 900.0], "events": [0, 1, 1], "censored": [0, 0, people - 2]})
    fig, ax = plt.subplots(figsize=(6.4, 4))
    try:
        ax.plot([0, 1000], [1, 0.5])
        ax.set_xlim(0, 1000)
        plots.at_risk_row(ax, curve)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        texts = [t for t in ax.texts if t.get_text()]
        assert f"{people:,}" in [t.get_text() for t in texts]
        assert _overlaps(texts, renderer) == []
    finally:
        plt.close(fig)


@pytest.mark.parametrize("sizes", [(1, 5, 6), (3, 200, 201, 1_000), (2_999, 4)])
def test_each_reason_curve_is_thinned_to_at_most_its_steps_evenly_with_both_ends(sizes) -> None:
    """The rows a curve keeps (figures._at_most, on every curve at once) are the evenly spread ones, round(i * (n - 1)
    / (steps - 1)) for i < steps, whatever the order the curves' rows come in: first and last always kept."""
    steps = 5 if max(sizes) < 10 else 200
    cause = [f"reason {j}" for j, n in enumerate(sizes) for _ in range(n)][::-1]
    curves = pd.DataFrame({"cause": cause, "row": range(len(cause))})
    kept = curves[figures._at_most(curves, "cause", steps)]
    for reason, curve in curves.groupby("cause"):
        n = len(curve)
        wanted = sorted({round(i * (n - 1) / (steps - 1)) for i in range(steps)}) if n > steps else range(n)
        assert list(kept[kept["cause"] == reason]["row"]) == list(curve["row"].iloc[list(wanted)])
        assert min(n, steps) == len(kept[kept["cause"] == reason])
