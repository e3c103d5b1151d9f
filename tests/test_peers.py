"""Cross-lab numbers checked by hand on the shipped data (SSI, Inflection, xAI) and the leaving rule."""

from __future__ import annotations

import math

import pytest

from attrition import load
from attrition.cli import main
from attrition.registry import compute
from attrition.result import MetricError
from attrition.peers import cox_by_lab, lab_table, lab_tenures, logrank_across_labs, rank_ranges
from attrition.survival import tenure_table
from conftest import FILES, write_dataset


@pytest.fixture(scope="module")
def shipped():
    return load()


@pytest.fixture(scope="module")
def table(shipped):
    return lab_table(shipped).set_index("company")


def test_ssi_by_hand(table) -> None:
    # Three founders announced 2024-06-19; Daniel Gross's last day 2025-06-29 is 375 days later.
    ssi = table.loc["ssi"]
    assert (ssi.n, ssi.left, ssi.gone_1y, ssi.gone_2y) == (3, 1, 0, pytest.approx(1 / 3))
    assert math.isnan(ssi.gone_3y)  # followed under three years by 2026-11-22
    assert ssi.median_days is None or math.isnan(ssi.median_days)


def test_inflection_by_hand(table) -> None:
    # Suleyman joined in March 2022, Simonyan some time in 2022; both left on 2024-03-19.
    # Two years = 730.5 days. Midpoints: Simonyan 2022-07-02 (626 days), Suleyman 2022-03-16 (734 days).
    inflection = table.loc["inflection"]
    assert inflection.gone_2y == pytest.approx(1 / 3)
    assert inflection.gone_2y_lo == 0  # longest reading: joins on Jan 1 / Mar 1 -> 808 and 749 days
    assert inflection.gone_2y_hi == pytest.approx(2 / 3)  # shortest: Dec 31 / Mar 31 -> 444 and 719 days


def test_xai_by_hand(table) -> None:
    xai = table.loc["xai"]
    assert (xai.gone_1y, xai.gone_2y, xai.gone_3y) == (pytest.approx(1 / 12), pytest.approx(2 / 12), pytest.approx(11 / 12))


def test_no_departures_get_an_exact_binomial_interval(table) -> None:
    anthropic = table.loc["anthropic"]
    assert (anthropic.left, anthropic.gone_3y, anthropic.gone_3y_ci_lower) == (0, 0, 0)
    assert anthropic.gone_3y_ci_upper == pytest.approx(1 - 0.025 ** (1 / 7))
    assert "no departures yet" in anthropic.caveat


def test_rank_ranges_follow_the_intervals(table) -> None:
    ranks = rank_ranges(table.reset_index(), "gone_3y").set_index("company")
    assert ranks.loc["xai", "rank"] == 1
    # xAI's interval lies wholly above Anthropic's and OpenAI's, so it ranks 4th at worst of 6 labs.
    assert (ranks.loc["xai", "rank_best"], ranks.loc["xai", "rank_worst"]) == (1, 4)


def test_tests_across_labs(shipped) -> None:
    tenures = lab_tenures(shipped)
    assert logrank_across_labs(tenures)["degrees_of_freedom"] == tenures.company.nunique() - 1
    cox = cox_by_lab(tenures, reference="xai")
    assert set(cox.company) == set(tenures.company) - {"xai"}
    assert (cox.filter(like="hazard_ratio") > 0).all().all()


def test_compare_labs_on_the_command_line(capsys) -> None:
    assert main(["metric", "compare_labs", "--cohort", "founder", "--at-years", "1,2,3"]) == 0
    out = capsys.readouterr().out
    assert "  xai                11 of 12 left; median 944 days (2.6 years); 1y 8%" in out
    assert main(["metric", "compare_labs", "--at-years", "one"]) == 2
    assert "--at-years must be numbers" in capsys.readouterr().err


def test_a_short_absence_is_an_interruption_not_leaving(tmp_path) -> None:
    # Frank leaves 2022-06-30 and returns 2023-01-10: 194 days away, so that counts as leaving.
    ds = load(write_dataset(tmp_path / "a"))
    frank = tenure_table(ds, "acme", "hire").set_index("person_id").loc["frank"]
    assert (frank.end_lo.date().isoformat(), frank.interruptions) == ("2022-06-30", 0)
    # Back after 10 days instead: an interruption; his lasting departure is the 2024 one.
    evidence = FILES["evidence.csv"].replace("frank,acme,2,return,2023-01-10", "frank,acme,2,return,2022-07-10")
    ds = load(write_dataset(tmp_path / "b", evidence_csv=evidence))
    frank = tenure_table(ds, "acme", "hire").set_index("person_id").loc["frank"]
    assert (frank.end_lo.date().isoformat(), frank.interruptions) == ("2024-01-01", 1)


def test_openai_firing_and_return_is_an_interruption(shipped) -> None:
    openai = tenure_table(shipped, "openai", "founder").set_index("person_id")
    assert openai.loc["sam-altman", "status"] == "active" and openai.loc["sam-altman", "interruptions"] == 1
    assert compute("departed_share", shipped, company="openai", cohort="founder", as_of="2023-11-19").hi > \
        compute("departed_share", shipped, company="openai", cohort="founder", as_of="2023-11-25").hi


def test_unknown_at_years_value_is_rejected(shipped) -> None:
    with pytest.raises(MetricError, match="at least one"):
        compute("compare_labs", shipped, at_years="")
