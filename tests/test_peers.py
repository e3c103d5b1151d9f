"""Cross-lab numbers checked by hand on the shipped data (SSI, Inflection, xAI) and the leaving rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import FILES, write_dataset

from attrition import load
from attrition.cli import main
from attrition.core.scope import Scope
from attrition.measures import peers
from attrition.measures.peers import (
    confidence_sets,
    cox_by_lab,
    lab_table,
    lab_tenures,
    logrank_across_labs,
    rank_sets,
)
from attrition.measures.registry import compute
from attrition.measures.survival import tenure_table
from attrition.result import MetricError


@pytest.fixture(scope="module")
def shipped():
    return load()


@pytest.fixture(scope="module")
def table(shipped):
    return lab_table(shipped).set_index("company")


def test_ssi_by_hand(table) -> None:
    # Three founders announced 2024-06-19; Daniel Gross's last day 2025-06-29 is 375 days later.
    # Followed to their last observations (Levy 2025-07-03, Sutskever 2025-11-25: 524 days), so no
    # one is followed two years and the two-year share is not observable.
    ssi = table.loc["ssi"]
    assert (ssi.n, ssi.left, ssi.gone_1y) == (3, 1, 0)
    assert math.isnan(ssi.gone_2y) and math.isnan(ssi.gone_3y)
    assert ssi.median_days is None or math.isnan(ssi.median_days)


def test_inflection_by_hand(table) -> None:
    # CNBC named all three founders on 2022-03-08; Suleyman and Simonyan left on 2024-03-19, 742 days
    # later, just past two years (730.5 days): nobody had left within two years, in any reading.
    inflection = table.loc["inflection"]
    assert (inflection.gone_2y, inflection.gone_2y_lo, inflection.gone_2y_hi) == (0, 0, 0)
    assert inflection.median_days == 742
    assert math.isnan(inflection.gone_3y)  # Hoffman last seen 2024-04-01: followed 2.1 years


def test_xai_by_hand(table) -> None:
    # Kosic left within a year, Szegedy within two; Musk, the one founder left, was last observed on
    # 2026-06-27, 1,081 days after the 2023-07-12 launch: short of three years, so no 3-year share.
    xai = table.loc["xai"]
    assert (xai.gone_1y, xai.gone_2y) == (pytest.approx(1 / 12), pytest.approx(2 / 12))
    assert math.isnan(xai.gone_3y)


def test_the_freeze_date_reading_follows_everyone_to_the_freeze_date(shipped) -> None:
    frozen = lab_table(shipped, censoring="freeze").set_index("company")
    assert frozen.loc["xai", "gone_3y"] == pytest.approx(11 / 12)
    assert frozen.loc["ssi", "gone_2y"] == pytest.approx(1 / 3)


def test_no_departures_get_an_exact_binomial_interval(table) -> None:
    anthropic = table.loc["anthropic"]
    assert (anthropic.left, anthropic.gone_3y, anthropic.gone_3y_ci_lower) == (0, 0, 0)
    assert anthropic.gone_3y_ci_upper == pytest.approx(1 - 0.025 ** (1 / 7))
    assert "no departures yet" in anthropic.caveat


def test_rank_sets_where_the_answer_is_known() -> None:
    """Labs far apart with narrow intervals get one rank each; identical labs may take any rank; a lab whose
    difference from the others is clear only on one side gets the ranks on the other."""
    best, worst = confidence_sets([0.9, 0.5, 0.1], [0.85, 0.45, 0.05], [0.95, 0.55, 0.15])
    assert (list(best), list(worst)) == ([1, 2, 3], [1, 2, 3])
    best, worst = confidence_sets([0.4] * 4, [0.1] * 4, [0.7] * 4)
    assert (list(best), list(worst)) == ([1] * 4, [4] * 4)
    best, worst = confidence_sets([0.9, 0.3, 0.2], [0.8, 0.0, 0.0], [1.0, 0.6, 0.5])
    assert (list(best), list(worst)) == ([1, 2, 2], [1, 3, 3])
    # A lab with no departures has an exact interval from 0; the difference keeps the other lab's width.
    best, worst = confidence_sets([0.0, 0.2], [0.0, 0.05], [0.7, 0.5])
    assert (list(best), list(worst)) == ([1, 1], [2, 2])


def test_rank_sets_on_the_shipped_data_hold_simultaneously(shipped) -> None:
    ranks = rank_sets(shipped, years=3).set_index("company")
    labs = len(ranks)
    assert ranks.loc["xai", "rank"] == 2 and ranks["pair_level"].iloc[0] == pytest.approx(1 - 0.05 / (labs * (labs - 1) / 2))
    # xAI's share (92%, 11 of 12) stands clear only of Anthropic's 0 of 7; Anthropic ranks below xAI for sure.
    assert (ranks.loc["xai", "rank_best"], ranks.loc["xai", "rank_worst"]) == (1, labs - 1)
    assert ranks.loc["anthropic", "rank_best"] == 2
    assert (ranks["rank_best"] <= ranks["rank"]).all() and (ranks["rank"] <= ranks["rank_worst"]).all()
    assert rank_sets(shipped, years=3).equals(rank_sets(shipped, years=3)), "nothing random"


def test_tests_across_labs(shipped) -> None:
    tenures = lab_tenures(shipped)
    assert logrank_across_labs(tenures)["degrees_of_freedom"] == tenures.company.nunique() - 1
    cox = cox_by_lab(tenures, reference="xai")
    assert set(cox.company) == set(tenures.company) - {"xai"}
    assert (cox.filter(like="hazard_ratio") > 0).all().all()


def test_compare_labs_on_the_command_line(capsys) -> None:
    assert main(["metric", "compare_labs", "--cohort", "founder", "--at-years", "1,2,3"]) == 0
    out = capsys.readouterr().out
    xai = out.splitlines().index(next(line for line in out.splitlines() if line.startswith("  xAI ")))
    assert "11 of 12 left; median 944 days (2.6 years); 1y 8%" in out.splitlines()[xai]
    assert "3y at least 92%  (followed 2.9 years, so no full share at 3 years)" in out.splitlines()[xai]
    # Counting everyone still there up to the freeze date is stated as the sensitivity on the next line.
    assert out.splitlines()[xai + 1].strip().startswith("counting everyone still there up to 2026-11-22:")
    assert out.splitlines()[xai + 1].endswith("3y 92% [69%-99%]")
    assert main(["metric", "compare_labs", "--at-years", "one"]) == 2
    assert "--at-years must be numbers" in capsys.readouterr().err


def test_a_short_absence_is_an_interruption_not_leaving(tmp_path) -> None:
    # Frank leaves 2022-06-30 and returns 2023-01-10: 194 days away, so that counts as leaving.
    ds = load(write_dataset(tmp_path / "a"))
    frank = tenure_table(ds, Scope.of(ds, "acme", "hire")).set_index("person_id").loc["frank"]
    assert (frank.end_lo.date().isoformat(), frank.interruptions) == ("2022-06-30", 0)
    # Back after 10 days instead: an interruption; his lasting departure is the 2024 one.
    evidence = FILES["evidence.csv"].replace("frank,acme,2,return,2023-01-10", "frank,acme,2,return,2022-07-10")
    ds = load(write_dataset(tmp_path / "b", evidence_csv=evidence))
    frank = tenure_table(ds, Scope.of(ds, "acme", "hire")).set_index("person_id").loc["frank"]
    assert (frank.end_lo.date().isoformat(), frank.interruptions) == ("2024-01-01", 1)


def test_openai_firing_and_return_is_an_interruption(shipped) -> None:
    openai = tenure_table(shipped, Scope.of(shipped, "openai", "founder")).set_index("person_id")
    assert openai.loc["sam-altman", "status"] in ("active", "unseen") and openai.loc["sam-altman", "interruptions"] == 1
    assert compute("departed_share", shipped, company="openai", cohort="founder", as_of="2023-11-19").hi > \
        compute("departed_share", shipped, company="openai", cohort="founder", as_of="2023-11-25").hi


def test_unknown_at_years_value_is_rejected(shipped) -> None:
    with pytest.raises(MetricError, match="at least one"):
        compute("compare_labs", shipped, at_years="")


def test_team_variants_count_each_definition_as_departed_share_would() -> None:
    """Each founding-team definition gives the numbers departed_share gives for exactly its members,
    the rule row is the founders' own departed_share, and a definition no source enumerates is not computed."""
    from attrition.measures import metrics

    ds = load()
    table = peers.team_variant_table(ds).set_index(["company", "variant"])
    people = ds.people.set_index("person_id")
    for (company, variant), row in table.iterrows():
        if variant == peers.RULE:
            expected = metrics.departed_share(ds, company, "founder")
        elif row["members"]:
            tagged = people[(people["company"] == company)
                            & people["team_variants"].fillna("").str.split(";").map(lambda v, t=variant: t in v)]
            others = people.index[(people["company"] == company) & ~people.index.isin(tagged.index)]
            expected = metrics.departed_share(ds, company, None, exclude=others)
            assert len(tagged) == row["den_hi"]
        else:
            assert pd.isna(row["den_hi"]) and ("not enumerated" in row["definition"] or "not computed" in row["definition"])
            continue
        assert (row["share_lo"], row["share_hi"]) == (expected.lo, expected.hi), (company, variant)
        assert (row["num_lo"], row["num_hi"]) == (expected.numerator["lo"], expected.numerator["hi"])
    tml = table.loc["thinking-machines"]
    a, b, c = (set(tml.loc[v, "members"].split(", ")) for v in "ABC")
    assert a < b < c, "each wider definition contains the narrower one"
    assert tml.loc["rule", "share_lo"] != tml.loc["B", "share_lo"], "the definitions give different answers here"


@pytest.mark.parametrize("days, words", [(0, "0 days"), (1, "1 day"), (36.4, "36 days"), (36.525, "0.1 years"),
                                         (1078.9, "2.9 years"), (1095.75, "3.0 years")])
def test_how_long_a_team_was_followed_never_reads_as_no_time(days, words) -> None:
    from attrition.measures.lab_shares import time_followed

    assert time_followed(days) == words


def test_a_team_with_no_departures_gets_an_exact_interval_from_those_followed_that_long(shipped) -> None:
    """Sakana AI's three founders: none has left; all three were followed a year, one of them two. KM's band has
    zero width there; the exact interval for 0 of 3, then 0 of 1, applies (it read '0% to 0%' at two years)."""
    table = peers.survival_table(shipped, cohort=None, at_years=(1, 2)).set_index("company").loc["sakana-ai"]
    assert (table["left"], table["gone_1y"], table["gone_2y"]) == (0, 0, 0)
    assert table["gone_1y_ci_upper"] == pytest.approx(1 - 0.025 ** (1 / 3))
    assert table["gone_2y_ci_upper"] == pytest.approx(0.975)


def test_a_reading_that_follows_no_one_leaves_its_numbers_empty(tmp_path) -> None:
    """Late entry: both hires were first observed on 2022-06-01 and left in months around it, so the shortest
    reading of the dates has them gone before anyone saw them, and follows no one. The lab's row still stands, with
    that reading's numbers empty (NaN), and a share or a median that needs every reading says why it cannot be given."""
    from conftest import FILES, write_dataset

    from attrition import load

    people = FILES["people.csv"].replace("role,note\n", "role,note,observed_from\n").replace(
        "Engineer,\n", "Engineer,,2022-06-01\n").replace(",Research,\n", ",Research,,\n").replace(
        "Lab A;Lab B,CEO,\n", "Lab A;Lab B,CEO,,\n").replace("Lab A,CTO,\n", "Lab A,CTO,,\n")
    evidence = FILES["evidence.csv"].replace("frank,acme,1,leave,2022-06-30,2022-06-30,s2,left,",
                                             "frank,acme,1,leave,2022-05-01,2022-07-31,s2,left,").replace(
        "erin,acme,1,observed,2025-11-30,2025-11-30,s4,listed on the team page,", "erin,acme,1,leave,2022-05-15,2022-07-15,s2,left,"
    ).replace("frank,acme,2,return,2023-01-10,2023-01-10,s3,came back,\n", "").replace(
        "frank,acme,2,leave,2024-01-01,2024-12-31,s3,left again in 2024,\n", "")
    ds = load(write_dataset(tmp_path / "data", people_csv=people, evidence_csv=evidence))
    row = peers.survival_table(ds, cohort="hire", at_years=(1,)).iloc[0]
    assert (row["company"], row["n"], row["left"]) == ("acme", 2, 2)
    assert np.isnan(row["median_days_lo"]) and np.isnan(row["gone_1y_hi"])  # the shortest reading: no one
    assert not np.isnan(row["median_days"]) and not np.isnan(row["gone_1y_lo"])
    within = compute("share_gone_within", ds, company="acme", cohort="hire", at_years="1")
    assert within.details["readings"][1] is None and within.lo == within.hi == row["gone_1y"]
    with pytest.raises(MetricError, match="in the shortest reading of the dates, everyone had left before they were "
                                          "first observed"):
        compute("share_departed_by_tenure", ds, company="acme", cohort="hire", days=200)
    with pytest.raises(MetricError, match="in the shortest reading of the dates, everyone had left before they were "
                                          "first observed, so there is no median to give"):
        compute("median_tenure", ds, company="acme", cohort="hire")  # not "not reached to 425 days"
    # With the founders in the scope the shortest reading still follows someone, but not the hires it has gone
    # before they were seen: the readings are out of order, and each range spans all three, lowest first.
    median = compute("median_tenure", ds, company="acme")
    assert median.lo <= median.details["midpoint"] <= median.hi and median.text.startswith(
        "median tenure of acme people: 485 days (1.3 years) to 790 days (2.2 years)")
    share = compute("share_departed_by_tenure", ds, company="acme", days=600)
    assert share.lo <= share.details["midpoint"] <= share.hi
    # Before anyone was observed, they had still joined: the error says which.
    with pytest.raises(MetricError, match="2 hires of acme had joined by 2022-05-20, but the data follows them only "
                                          "from a later day: no one was observed then"):
        compute("median_tenure", ds, company="acme", cohort="hire", as_of="2022-05-20")
