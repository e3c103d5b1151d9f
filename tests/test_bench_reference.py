"""The benchmark's yardstick gives the tool's answers: a ratio against a script that computes something else
would mean nothing. `attrition.dev.reference` (DuckDB and lifelines, from the CSV files) against the tool's
`metric` commands on a synthetic roster with returns, conflicts and month-precision dates."""

from __future__ import annotations

import json
import math

import pytest

from attrition.cli import main
from attrition.dev import reference
from attrition.dev.synthetic import write_synthetic
from attrition.precision import DECIMALS


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    folder = write_synthetic(tmp_path_factory.mktemp("reference") / "data", 3_000, 10, "mixed", seed=3)
    return folder, reference.answers(folder)


def _tool(folder, capsys, *args) -> dict:
    assert main(["metric", *args, "--data", str(folder), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_reference_counts_who_left_as_the_tool_does(roster, capsys) -> None:
    folder, answers = roster
    tool = _tool(folder, capsys, "departed_share", "--company", reference.COMPANY)
    counted = answers["departed_share"]
    assert (tool["numerator"], tool["denominator"]) == ({"lo": counted["num_lo"], "hi": counted["num_hi"]},
                                                        {"lo": counted["den_lo"], "hi": counted["den_hi"]})


def test_the_reference_fits_the_tools_median_tenure(roster, capsys) -> None:
    folder, answers = roster
    tool = _tool(folder, capsys, "median_tenure", "--company", reference.COMPANY)
    fitted = answers["median_tenure"]
    assert (tool["lo"], tool["hi"], tool["details"]["midpoint"]) == (fitted["lo"], fitted["hi"], fitted["midpoint"])
    assert [tool["details"]["ci_lower"], tool["details"]["ci_upper"]] == fitted["ci"]
    assert tool["details"]["midpoint_followed_to_as_of"] == fitted["followed_to_as_of"]
    assert (len(tool["person_ids"]["counted"]), len(tool["person_ids"]["left"])) == (fitted["n"], fitted["left"])


def test_the_reference_compares_the_labs_as_the_tool_does(roster, capsys) -> None:
    folder, answers = roster
    labs = {lab["company"]: lab for lab in _tool(folder, capsys, "compare_labs", "--cohort", "founder")["details"]["labs"]}
    assert set(labs) == set(answers["compare_labs"])
    for company, fitted in answers["compare_labs"].items():
        lab = labs[company]
        assert (lab["n"], lab["left"]) == (fitted["n"], fitted["left"])
        assert (lab["median_days"], lab["median_days_lo"], lab["median_days_hi"]) == (
            fitted["median_midpoint"], fitted["median_shortest"], fitted["median_longest"])
        for years in (1, 2, 3):
            if lab[f"gone_{years}y"] is None:  # not followed that long: the tool gives no share, only "at least"
                continue
            assert lab[f"gone_{years}y"] == pytest.approx(fitted[f"gone_{years}y"], abs=10 ** -DECIMALS)  # snapped
            if lab[f"gone_{years}y"] > 0:  # with no departure the tool gives the exact binomial bound instead
                band = [lab[f"gone_{years}y_ci_lower"], lab[f"gone_{years}y_ci_upper"]]
                assert band == pytest.approx(fitted[f"gone_{years}y_ci"], abs=1e-9)
    assert not any(math.isnan(v) for lab in answers["compare_labs"].values() for v in lab.values()
                   if isinstance(v, float))


def test_the_benchmarks_kaplan_meier_task_reads_its_own_table(tmp_path) -> None:
    """The ten-million-spell row times the tool's fit over a table the benchmark writes: that table must have every
    column the fit reads (it lacked `entry`, so `make bench` stopped at its last rows)."""
    from attrition.dev import bench

    cutoff = bench._lasting_parquet(tmp_path, 1_000)
    assert bench._task_km_tool(tmp_path, cutoff, "duckdb") > 0
