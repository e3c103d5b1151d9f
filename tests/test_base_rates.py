"""Published base rates as sourced reference rows (base_rates.csv), and a team set beside them.

The synthetic roster (conftest): four founders join on 2020-01-01; Alice leaves in 2021 and Bob in March 2022
(within three years), Carol in 2023 and Dan in 2024 (after).
"""

from __future__ import annotations

import math

import pytest
from conftest import write_dataset

from attrition import load
from attrition.cli import main
from attrition.core.scope import Scope
from attrition.measures.base_rates import odds, tail_probability, team_tails
from attrition.measures.registry import compute
from attrition.result import MetricError

RATES = """rate_id,source_id,study,stated_as,share,measure,horizon_years,clock,population,sample,definition,note
study-3y,s3,A study's cohort,a fifth had left after 3 years,0.2,left_company,3,the company's incorporation,startups,100 founders,founders gone,
study-ceo,s3,Another study,half were no longer CEO,0.5,not_ceo,3,the venture's founding,startups,,founders no longer CEO,
no-horizon,s3,A third study,about a fifth replaced,0.2,replaced,,the startup's founding,startups,,founders replaced,
"""


@pytest.fixture
def rated(tmp_path):
    folder = write_dataset(tmp_path / "data")
    (folder / "base_rates.csv").write_text(RATES, encoding="utf-8")
    return folder


def exact(k: int, n: int, p: float) -> float:
    return math.fsum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(max(k, 0), n + 1))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 12, 30])
@pytest.mark.parametrize("p", [0.05, 0.171, 0.25, 0.5, 0.9])
def test_the_tail_probability_is_the_exact_binomial_sum(n, p) -> None:
    for k in range(0, n + 1):
        assert tail_probability(k, n, p) == pytest.approx(exact(k, n, p), rel=1e-12, abs=1e-300)
    assert list(tail_probability([0, n], [n, n], p)) == pytest.approx([1.0, p ** n], rel=1e-12)


def test_a_team_beside_a_base_rate_by_hand(rated) -> None:
    ds = load(rated)
    result = compute("base_rate_tail", ds, company="acme", rate_id="study-3y")
    # Alice (2021) and Bob (March 2022) left within three years of joining on 2020-01-01; Carol and Dan later.
    assert (result.numerator, result.denominator) == ({"lo": 2, "hi": 2}, {"lo": 4, "hi": 4})
    assert result.lo == result.hi == pytest.approx(1 - 0.8 ** 4 - 4 * 0.2 * 0.8 ** 3, rel=1e-9)
    assert result.details["followed"] and result.details["study"] == "A study's cohort"
    assert result.text.startswith("2 of acme's 4 founders left within 3 years of joining; had each left with the 20.0% chance")
    assert compute("base_rate", ds, rate_id="study-ceo").lo == 0.5
    with pytest.raises(MetricError, match="gives no number of years"):
        compute("base_rate_tail", ds, company="acme", rate_id="no-horizon")
    with pytest.raises(MetricError, match="no base rate 'nope'"):
        compute("base_rate_tail", ds, company="acme", rate_id="nope")


def test_a_team_not_followed_that_long_gives_a_floor_and_an_upper_bound(rated) -> None:
    ds = load(rated)
    early = team_tails(ds, "study-3y", Scope.of(ds, cohort="founder", as_of="2022-06-01"))
    assert early == [{"company": "acme", "n": 4, "gone_lo": 2, "gone_hi": 2, "followed": False,
                      "p_lo": pytest.approx(0.1808), "p_hi": pytest.approx(0.1808), "rate_id": "study-3y"}]


def test_base_rates_are_checked_like_every_data_file(rated, capsys) -> None:
    bad = RATES + "too-big,s3,X,x,1.5,left_company,3,c,p,,d,\nno-source,nowhere,X,x,0.1,left_company,3,c,p,,d,\n" \
        "bad-measure,s3,X,x,0.1,gone,3,c,p,,d,\nbad-number,s3,X,x,0.1x,left_company,3,c,p,,d,\n"
    (rated / "base_rates.csv").write_text(bad, encoding="utf-8")
    assert main(["validate", "--data", str(rated)]) == 2
    err = capsys.readouterr().err
    assert "base_rates.csv:5: column 'share': value '1.5': must be a number from 0 to 1" in err
    assert "base_rates.csv:6: column 'source_id': value 'nowhere': unknown source_id" in err
    assert "base_rates.csv:7: column 'measure': value 'gone': must be one of left_company, not_ceo, replaced" in err
    assert "base_rates.csv:8: column 'share': value '0.1x'" in err


def test_a_base_rate_published_later_is_not_known_earlier(rated) -> None:
    ds = load(rated)
    assert len(ds.frame("base_rates")) == 3
    assert len(ds.as_known_on("2024-01-01").frame("base_rates")) == 0  # its source s3 is dated 2024-06-20


def test_the_shipped_base_rates_each_rest_on_a_source_and_odds_read_plainly() -> None:
    ds = load()
    rates = ds.frame("base_rates")
    assert set(rates["source_id"]) <= set(ds.sources["source_id"]) and len(rates) >= 3
    assert odds(0.004, 0.004) == "0.004 (about 1 in 250)" and odds(0.5, 0.7) == "0.50 to 0.70"
