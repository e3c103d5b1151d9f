"""Nothing shown depends on the last bits of a fit: values a few units in the last place away (another CPU's
vectorised log and exp, another BLAS, another summation order) give the same pages."""

from __future__ import annotations

import numpy as np
import pytest

from attrition import load, precision
from attrition.findings import flows, labs, people, survival
from attrition.precision import snap, snap_significant
from attrition.site import figures

SNAPPING = ("attrition.measures.estimators", "attrition.measures.rates", "attrition.measures.compare",
            "attrition.measures.peers", "attrition.measures.lab_shares", "attrition.measures.survival")
"""The modules where fitted values leave the measures, each through attrition.precision."""


def _nudged(value, ulps: int):
    """`value` moved `ulps` units in the last place (towards +inf when positive, -inf when negative)."""
    if isinstance(value, (float, np.floating)):
        return float(_nudged(np.array([value]), ulps)[0])
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(value), value + ulps * np.spacing(value), value)
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        out = value.copy()
        for column in out.columns:
            if out[column].dtype.kind == "f":
                out[column] = _nudged(out[column].to_numpy(), ulps)
        return out
    return value


def _perturb(monkeypatch, ulps: int) -> None:
    import importlib

    for name in SNAPPING:
        module = importlib.import_module(name)
        if hasattr(module, "snap"):
            monkeypatch.setattr(module, "snap", lambda v, ulps=ulps: snap(_nudged(v, ulps)))
        if hasattr(module, "snap_significant"):
            monkeypatch.setattr(module, "snap_significant", lambda v, ulps=ulps: snap_significant(_nudged(v, ulps)))


def _shown() -> dict[str, str]:
    """What the pages show from fits: chart titles and data, and the sentences of findings built on fits."""
    ds = load()
    charts = [figures.founder_survival(ds, "xai"), figures.exact_vs_interval(ds, "xai"),
              figures.departure_rates(ds, "xai"), figures.founders_vs_hires(ds, "xai"), figures.lab_curves(ds),
              figures.destination_incidence(ds)]
    found = [survival.median_tenure(ds, "xai"), survival.share_within(ds, "xai", 3, censoring="freeze"),
             survival.rate_change(ds, "xai", "founder", 2026, 2025), labs.against(ds, "xai")[0],
             flows.within_years(ds, 3), people.departed(ds, "xai", "founder")]
    return {**{f"chart {c.title}": c.csv() for c in charts}, **{f.id: f.sentence for f in found}}


def test_snap_rounds_away_the_last_bits_and_nothing_else() -> None:
    assert snap(2.77556e-17) == 0.0 and str(snap(-1e-18)) == "0.0"
    assert snap(0.125) == 0.125 and snap(1 / 3) == round(1 / 3, precision.DECIMALS)
    assert snap_significant(1e-58 * (1 + 1e-15)) == 1e-58
    assert np.isnan(snap(float("nan"))) and snap(float("inf")) == float("inf")


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    """What the pages show, unperturbed (the same in every test: nothing here changes the data)."""
    return _shown()


@pytest.mark.parametrize("ulps", [4, pytest.param(-4, marks=pytest.mark.slow)])
def test_fitted_values_a_few_units_in_the_last_place_away_change_no_shown_output(monkeypatch, ulps: int,
                                                                                 expected) -> None:
    _perturb(monkeypatch, ulps)
    assert _shown() == expected


def test_the_perturbation_reaches_the_fits(monkeypatch, expected) -> None:
    """The test above could pass vacuously if no value went through the patched functions: without the
    snapping (a perturbation far larger than a few units) the same outputs do change."""
    import importlib

    for name in SNAPPING:
        module = importlib.import_module(name)
        if hasattr(module, "snap"):
            monkeypatch.setattr(module, "snap", lambda v: _nudged(v, 10**6))
    assert _shown() != expected
