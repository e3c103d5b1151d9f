"""Hiring numbers by hand: synthetic roster (conftest.py) and the shipped xAI data."""

from __future__ import annotations

import json

import pytest

from attrition import load
from attrition.cli import main
from attrition.core.roster import hires_per_month
from attrition.measures.hiring import (
    days_before_milestone,
    days_per_hire,
    hires_between,
    hiring_rate_ratio,
    window_days,
)
from attrition.result import MetricError


def test_windows_count_calendar_days_inclusive() -> None:
    assert window_days("2024-02-01", "2024-03-31") == 60  # 2024 is a leap year
    assert window_days("2023-08-01", "2023-10-31") == 92
    with pytest.raises(MetricError, match="ends"):
        window_days("2024-03-01", "2024-02-01")


def test_month_precision_joins_make_counts_a_range(ds) -> None:
    # erin joined some day in February 2021; frank on 2021-06-01
    assert (hires_between(ds, "acme", "2021-02-01", "2021-02-28").lo, hires_between(ds, "acme", "2021-02-01", "2021-02-28").hi) == (1, 1)
    partial = hires_between(ds, "acme", "2021-02-15", "2021-06-30")
    assert (partial.lo, partial.hi) == (1, 2)
    assert partial.person_ids == {"joined": ["frank"], "maybe_joined": ["erin"]}


def test_days_per_hire_by_hand(ds) -> None:
    result = days_per_hire(ds, "acme", "2021-02-01", "2021-02-28")
    assert (result.lo, result.hi) == (28, 28)
    assert result.details["days_per_hire_ci"][0] == pytest.approx(28 / 5.5716, abs=1e-3)  # exact Poisson upper 5.5716
    assert result.details["hires_per_30_days"]["lo"] == pytest.approx(30 / 28)


def test_reported_basis_uses_the_published_count(ds) -> None:
    result = days_per_hire(ds, "acme", "2021-01-01", "2021-12-31", basis="reported")
    assert (result.lo, result.hi) == (73, 73)  # 365 days / 5 hires
    assert result.details["basis"] == "reported" and result.details["qualifier"] == "at_least"


def test_reported_basis_needs_a_matching_window(ds) -> None:
    with pytest.raises(MetricError, match="reported windows: 2021-01-01 to 2021-12-31"):
        hires_between(ds, "acme", "2021-01-01", "2021-06-30", basis="reported")


def test_an_empty_window_says_so_instead_of_dividing_by_zero(ds) -> None:
    result = days_per_hire(ds, "acme", "2022-01-01", "2022-12-31")
    assert (result.lo, result.hi) == (None, None)
    assert "no hires" in result.text and "undefined" in result.text
    assert result.details["hires_per_30_days"]["ci_upper"] == pytest.approx(30 * 3.6889 / 365, abs=1e-4)


def test_rate_ratio_by_hand(ds) -> None:
    result = hiring_rate_ratio(ds, "acme", "2021-06-01", "2021-06-30", "2021-02-01", "2021-02-28")
    assert result.lo == pytest.approx((1 / 30) / (1 / 28))
    assert result.details["test"]["p_value"] == pytest.approx(1.0)


def test_hires_per_month_counts_only_joins_known_to_the_month(ds) -> None:
    table = hires_per_month(ds, "acme").set_index("month")
    assert table["hires"].sum() == 2 and table["unplaced"].iloc[0] == 0
    assert table.loc["2021-02-01", "hires"] == 1 and table.loc["2021-04-01", "hires"] == 0


# --- shipped data --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    return load()


def test_shipped_reported_feb_mar_2024_pace(shipped, capsys) -> None:
    # QbitAI: 13 joined in February-March 2024 (60 days) -> 60 / 13 = 4.6 days per hire.
    code = main(["metric", "days_per_hire", "--company", "xai", "--start", "2024-02-01", "--end", "2024-03-31",
                 "--basis", "reported", "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert payload["lo"] == pytest.approx(60 / 13) and payload["window"] == {"start": "2024-02-01", "end": "2024-03-31", "days": 60}
    assert payload["details"]["basis"] == "reported" and payload["denominator"] == {"lo": 13, "hi": 13}


def test_shipped_rate_ratio_reported(shipped) -> None:
    # 13 in 60 days vs 5 in 92 days: (13/60)/(5/92) = 3.99
    result = hiring_rate_ratio(shipped, "xai", "2024-02-01", "2024-03-31", "2023-08-01", "2023-10-31", basis="reported")
    assert result.lo == pytest.approx((13 / 60) / (5 / 92))
    assert result.details["test"]["p_value"] < 0.05


def test_shipped_named_roster_for_feb_mar_2024(shipped) -> None:
    result = hires_between(shipped, "xai", "2024-02-01", "2024-03-31")
    # Zelikman's March 2024 start rests on one aggregator page (grade C); the others on the seed article.
    assert result.person_ids["joined"] == ["eric-zelikman", "haotian-liu", "juntang-zhuang", "xuechen-li"]


def test_shipped_gap_before_grok_releases(shipped) -> None:
    zhuang = days_before_milestone(shipped, "xai", "juntang-zhuang", "grok-1-5")
    assert (zhuang.lo, zhuang.hi) == (28, 56)  # Feb 2024 to 2024-03-28
    liu = days_before_milestone(shipped, "xai", "haotian-liu", "grok-1-5v")
    assert (liu.lo, liu.hi) == (12, 45)  # March 2024 to 2024-04-12 (xAI) or 04-15 (the seed article)
