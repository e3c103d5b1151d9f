"""Where people went: the competing-risks estimator (by hand, ties kept, bit for bit), destinations,
flows between labs and lineage, on a small roster and on the shipped data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition import load
from attrition.cli import main
from attrition.core.scope import Scope
from attrition.measures import estimators, flows
from attrition.measures.registry import compute


def test_cumulative_incidence_with_tied_days_matches_the_hand_computation() -> None:
    """Five people: on day 2 one leaves for a, one for b (a tie across causes); one is censored on day 3;
    on day 4 one leaves for a; one is still there on day 6.

    Day 2: 5 at risk, 2 leave, S = 3/5, F_a = F_b = 1 * 1/5 = 0.2.  Day 4: 2 at risk, 1 leaves for a,
    S = 3/5 * 1/2 = 0.3, F_a = 0.2 + 3/5 * 1/2 = 0.5, F_b stays 0.2; F_a + F_b + S = 1.
    Var F_a(2) = 1 * 1 * (5 - 1) / 5^3 = 0.032.  Var F_a(4) = 2/15 * 0.3^2 + (0.032 + 0.6^2 * 1 * 1 / 2^3)
    - 2 * (1/25 * 0.3) = 0.012 + 0.077 - 0.024 = 0.065.
    """
    curves = estimators.aalen_johansen([2, 2, 3, 4, 6], ["a", "b", None, "a", ""])
    a = curves[curves["cause"] == "a"].set_index("days")
    b = curves[curves["cause"] == "b"].set_index("days")
    assert a["incidence"].tolist() == pytest.approx([0.0, 0.2, 0.5])
    assert b["incidence"].tolist() == pytest.approx([0.0, 0.2, 0.2])
    assert a["survival"].tolist() == pytest.approx([1.0, 0.6, 0.3])
    assert a["variance"].tolist() == pytest.approx([0.0, 0.032, 0.065])
    assert a["at_risk"].tolist() == [5, 5, 2] and a["cause_events"].tolist() == [0, 1, 1]
    assert (a["lower"] <= a["incidence"]).all() and (a["incidence"] <= a["upper"]).all()


def test_cumulative_incidence_equals_lifelines_on_untied_data() -> None:
    from lifelines import AalenJohansenFitter

    rng = np.random.default_rng(7)
    days, code = rng.uniform(1, 1000, 80).round(3), rng.integers(0, 3, 80)
    ours = estimators.aalen_johansen(days, np.array(["", "x", "y"])[code])
    for k, label in ((1, "x"), (2, "y")):
        theirs = AalenJohansenFitter(calculate_variance=True).fit(days, code, event_of_interest=k)
        mine = ours[ours["cause"] == label].set_index("days")
        assert np.allclose(mine["incidence"], theirs.cumulative_density_.iloc[:, 0].reindex(mine.index))
        theirs_var = theirs.variance_.reindex(mine.index)
        defined = theirs_var.notna()  # lifelines divides by zero when everyone at risk leaves; we give 0
        assert defined.sum() > 20 and np.allclose(mine["variance"][defined], theirs_var[defined])
        band = theirs.confidence_interval_.reindex(mine.index)  # lifelines' "upper" column is the lower bound
        shown = band.notna().all(axis=1)  # lifelines has no band while F = 0; we give [0, 0]
        assert shown.sum() > 20
        assert np.allclose(mine["lower"][shown], band.iloc[:, 0][shown])
        assert np.allclose(mine["upper"][shown], band.iloc[:, 1][shown])


def test_two_runs_of_the_competing_risk_estimate_are_identical_bit_for_bit() -> None:
    ds = load()
    first, second = (flows.cumulative_incidence(ds, Scope.of(ds, cohort="founder")) for _ in range(2))
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert first.to_csv().encode() == second.to_csv().encode()
    assert (first["events"] > 1).any(), "the shipped data has departures on the same day: the ties are exercised"


def test_each_departure_has_one_destination_and_the_shares_add_up() -> None:
    ds = load()
    table = flows.departures(ds, Scope.of(ds, cohort="founder"))
    gone = table[table["midpoint_left"]]
    assert (gone["category"] != "").all() and (table.loc[~table["midpoint_left"], "category"] == "").all()
    curves = flows.cumulative_incidence(ds, Scope.of(ds, cohort="founder"))
    last = curves.groupby("cause").tail(1)
    final_survival = curves["survival"].min()
    assert last["incidence"].sum() + final_survival == pytest.approx(1.0)


def test_destinations_metric_counts_every_leaver_once(capsys) -> None:
    ds = load()
    result = flows.destinations(ds, "xai")
    counted = sum(row["people"] for row in result.details["categories"])
    assert counted == result.lo == len(result.person_ids["departed"])
    assert main(["metric", "destinations", "--company", "xai"]) == 0
    assert "where they went" in capsys.readouterr().out
    assert main(["metric", "destinations", "--company", "xai", "--days", "3"]) == 2
    assert "--days" in capsys.readouterr().err


def test_flow_matrix_agrees_with_the_moves_table(capsys) -> None:
    ds = load()
    table = flows.flow_table(ds)
    moves = ds.frame("moves").drop_duplicates(["person_id", "company"])
    inside = moves[moves["destination_company"].fillna("") != ""]
    departed = flows.departures(ds, Scope.of(ds))
    expected = inside.merge(departed[departed["midpoint_left"]][["person_id", "company"]], on=["person_id", "company"])
    assert table.loc[table["to_company"], "people"].sum() == len(expected)
    assert main(["metric", "flow_matrix"]) == 0
    assert "Thinking Machines Lab" in capsys.readouterr().out


def test_lineage_links_labs_through_their_founders_prior_employers() -> None:
    ds = load()
    edges = flows.lab_lineage(ds).set_index(["from_company", "company"])
    assert edges.loc[("openai", "anthropic"), "founders"] == 7
    assert "Mustafa Suleyman" in edges.loc[("deepmind", "inflection"), "names"], "DeepMind is an alias of Google DeepMind"
    assert "Elon Musk" in edges.loc[("openai", "xai"), "names"], "'OpenAI (co-founder)' is OpenAI"
    assert not any(a == b for a, b in edges.index)


def test_alumni_founded_counts_the_labs_the_lineage_table_links() -> None:
    """One matching rule (`core.lineage`): the metric and notebook 06's table name the same labs for every company."""
    ds = load()
    edges = flows.lab_lineage(ds)
    for company in ds.companies:
        labs = sorted(edges.loc[edges["from_company"] == company, "company"])
        assert compute("alumni_founded", ds, company=company).person_ids["labs"] == labs, company
    assert len(compute("alumni_founded", ds, company="openai").person_ids["labs"]) == 6
