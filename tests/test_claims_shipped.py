"""The verdict of every shipped claim, pinned: a data or code change that flips one must be deliberate.

Each verdict was reviewed by hand against data/evidence.csv when it was pinned; the reasoning for
the less obvious ones is in the claim's note in data/claims.csv. To update after a deliberate change,
rerun `attrition claims --format csv` and review every changed line.
"""

from __future__ import annotations

import pytest

from attrition import load
from attrition.claims.ledger import evaluate

EXPECTED = {
    "c0-1": "not_evaluated",
    "c0-2": "supported",
    "c0-3a": "not_evaluated",
    "c0-3b": "supported",
    "c0-4a": "not_evaluated",
    "c0-4b": "supported",
    "c0-5": "not_evaluated",
    "c0-5a": "supported",
    "c0-5b": "supported",
    "c0-6a": "supported",
    "c0-6b": "uncertain",
    "c0-7": "supported",
    "c0-ethnicity": "not_evaluated",
    "c0-zhuang-grok-1-5": "uncertain",
    "c0-liu-grok-1-5v": "supported",
    "c1-1a": "supported",
    "c1-1b": "supported",
    "c1-2": "supported",
    "c1-2b": "contradicted",
    "c1-3a": "supported",
    "c1-3b": "contradicted",
    "c1-4": "not_evaluated",
    "c2-1": "supported",
    "c2-2": "not_evaluated",
    "c2-3": "not_evaluated",
    "c2-4a": "supported",
    "c2-4b": "supported",
    "c3-1": "supported",
    "c3-2": "contradicted",
    "c3-3": "not_evaluated",
    "c3-4a": "contradicted",
    "c3-4b": "contradicted",
    "c3-4c": "supported",
    "c3-5": "supported",
    "c3-6": "not_evaluated",
    "c4-1": "not_evaluated",
    "c4-2": "not_evaluated",
    "c4-3": "not_evaluated",
    "c4-4": "not_evaluated",
    "techcrunch-2026-02-10-five-of-twelve": "supported",
    "techcrunch-2026-02-10-four-in-last-year": "uncertain",
    "techcrunch-2026-02-11-six-of-twelve": "supported",
    "techcrunch-2026-02-11-five-in-last-year": "uncertain",
    "bi-2026-02-10-fourth-in-past-year": "uncertain",
    "streamstates-2026-02-fourth-in-past-year": "uncertain",
    "streamstates-2026-02-eleven-cofounders": "supported",
    "fortune-2026-02-five-in-past-year": "uncertain",
    "bloomberg-2026-02-11-six-in-two-years": "supported",
    "ft-2026-02-11-wu-fifth": "supported",
    "ft-2026-02-11-ba-sixth": "supported",
    "hindustantimes-2026-02-10-at-least-fifth": "supported",
    "sectorhq-2026-02-wu-fourth": "contradicted",
    "aihaberleri-2026-02-wu-fourth": "contradicted",
    "aihaberleri-2026-02-eight-person-team": "contradicted",
    "connextion-2026-02-wu-last": "contradicted",
    "implicator-2026-02-seven-remain": "supported",
    "implicator-2026-02-two-left-in-2024": "contradicted",
    "techportal-2026-02-11-six-of-twelve": "supported",
    "techportal-2026-02-11-babuschkin-second": "contradicted",
    "reuters-2026-02-10-half-remain": "supported",
    "reuters-2026-02-10-under-three-years": "supported",
    "livemint-2026-02-11-ba-date": "supported",
    "livemint-2026-02-12-thirty-months": "supported",
    "runable-2026-42-percent": "supported",
    "runable-2026-wu-fifth-feb-2025": "contradicted",
    "creati-2026-02-12-pohlen-gone": "contradicted",
    "creati-2026-02-12-zhang-gone": "contradicted",
    "fortune-2024-06-28-less-than-a-year": "supported",
    "fortune-2024-06-28-first-eleven": "supported",
    "tipranks-2025-08-two-in-2025": "supported",
    "rbru-2026-02-27-seven-of-twelve": "supported",
    "agentwars-2026-03-14-nine-of-twelve": "supported",
    "agentwars-2026-03-14-two-of-eleven": "supported",
    "byteiota-2026-03-two-of-twelve": "contradicted",
    "byteiota-2026-03-two-of-eleven": "supported",
    "byteiota-2026-03-83-percent": "contradicted",
    "nixus-2026-03-15-eight-of-eleven": "contradicted",
    "nixus-2026-03-15-nine-of-eleven": "uncertain",
    "abhs-2026-03-departures-started-2025": "contradicted",
    "abhs-2026-03-three-in-2025": "contradicted",
    "abhs-2026-03-all-eleven-gone": "supported",
    "teslabrief-2026-01-12-attrition-50": "not_evaluated",
    # staff, not founders: compared with the open AI Watch roster in 06 (tests/test_open_roster.py)
    "signalfire-2025-retention-anthropic": "not_evaluated",
    "signalfire-2025-retention-deepmind": "not_evaluated",
    "signalfire-2025-retention-openai": "not_evaluated",
    "signalfire-2025-openai-to-anthropic": "not_evaluated",
    "signalfire-2025-deepmind-to-anthropic": "not_evaluated",
}


@pytest.fixture(scope="module")
def ledger():
    return evaluate(load()).set_index("claim_id")


def test_every_shipped_claim_is_pinned(ledger) -> None:
    assert sorted(ledger.index) == sorted(EXPECTED)


@pytest.mark.parametrize("claim_id", sorted(EXPECTED))
def test_shipped_verdict(ledger, claim_id) -> None:
    assert ledger.loc[claim_id, "verdict"] == EXPECTED[claim_id]


def test_the_ledger_covers_every_digest_claim_and_at_least_ten_other_outlets(ledger) -> None:
    digest = {"c0-1", "c0-2", "c0-3", "c0-4", "c0-5", "c0-6", "c0-7", "c1-1", "c1-2", "c1-3", "c1-4", "c2-1", "c2-2",
              "c2-3", "c2-4", "c3-1", "c3-2", "c3-3", "c3-4", "c3-5", "c3-6", "c4-1", "c4-2", "c4-3", "c4-4"}
    assert {i for i in digest if not any(c == i or c.startswith(i) and c[len(i)].isalpha() for c in ledger.index)} == set()
    seeds = {"qbitai-2024-04-xai-hires", "negi-2026-02-half-founders", "gigazine-2025-08-babuschkin",
             "geekpark-2026-02-tony-wu", "negi-xai-all-hands"}
    assert ledger.loc[~ledger["source_id"].isin(seeds), "publisher"].nunique() >= 10


def test_not_evaluated_claims_say_why(ledger) -> None:
    skipped = ledger[ledger["verdict"] == "not_evaluated"]
    assert (skipped["note"].str.len() > 20).all()
