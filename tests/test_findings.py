"""Every sentence the pages state is a finding, checked like a press claim, and the check can fail."""

from __future__ import annotations

import dataclasses
import json
import re

import nbformat
import pytest
from conftest import FILES, write_dataset

from attrition import load
from attrition.cli import main
from attrition.core.roster import latest_spells, spells
from attrition.core.scope import Scope
from attrition.findings import people, survival
from attrition.findings.finding import MIME, Statement
from attrition.io.outputs import NotebookError
from attrition.locations import NOTEBOOK_DIR
from attrition.measures.registry import compute
from attrition.site.selfcheck import (
    check_findings,
    notebook_findings,
    refuse_unsupported,
)

FLIPPED = {"less_than": "more_than", "more_than": "less_than"}


def _reversed(finding):
    """The same finding with its direction turned round, as a bug in a sentence's logic would."""
    claims = tuple(dataclasses.replace(c, reading=FLIPPED.get(c.reading, c.reading)) for c in finding.claims)
    return dataclasses.replace(finding, claims=claims)


def test_every_finding_on_the_committed_pages_is_supported_by_the_data(shipped_site) -> None:
    """`attrition report` checks every finding of every page as it builds the site, and publishes nothing the data do
    not bear out (the tests below make it refuse): the site built from the committed notebooks says what it checked."""
    text = (shipped_site / "findings.html").read_text(encoding="utf-8")
    said = re.search(r"([\d,]+) checks on (\d+) pages:\s*([^<]*)\.</p>", text)
    assert said and int(said[1].replace(",", "")) >= 200 and said[3] == f"{said[1]} supported", said
    pages = {path.stem for path in NOTEBOOK_DIR.glob("*.ipynb") if notebook_findings(nbformat.read(path, as_version=4))}
    assert len(pages) == 7 and all(f"<a href='{page}.html'>" in text for page in pages), "every notebook's findings"


def test_a_direction_the_data_do_not_bear_out_is_refused() -> None:
    ds = load()
    finding = survival.founders_vs_hires(ds, "xai")
    assert finding.direction == "lower" and finding.claims[0].reading == "less_than"
    assert "less often" in finding.sentence
    good = check_findings("02.html", [finding.to_dict()], lambda name: ds)
    assert [r.verdict for r in good] == ["supported"]
    bad = check_findings("02.html", [_reversed(finding).to_dict()], lambda name: ds)
    assert [r.verdict for r in bad] == ["contradicted"]
    with pytest.raises(NotebookError, match="02.html.*xai-founder-vs-hire.*contradicted"):
        refuse_unsupported(bad)


def test_attrition_report_exits_2_on_a_reversed_finding_and_publishes_nothing(tmp_path, capsys) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A page with a sentence the wrong way round"),
                nbformat.v4.new_code_cell(
                    "import dataclasses\nimport attrition\nfrom attrition.findings import survival\n"
                    "ds = attrition.load()\nf = survival.founders_vs_hires(ds, 'xai')\n"
                    "claims = tuple(dataclasses.replace(c, reading='more_than') for c in f.claims)\n"
                    "dataclasses.replace(f, claims=claims, sentence='Founders left more often than the named hires')")]
    nbformat.write(nb, folder / "01_flipped.ipynb")
    out = tmp_path / "site"
    assert main(["report", "--notebooks", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "01_flipped.html" in err and "xai-founder-vs-hire" in err and "contradicted" in err
    assert not out.exists()


def test_a_chart_title_is_its_findings_sentence_and_carries_its_claims() -> None:
    from attrition.site import figures

    ds = load()
    chart = figures.founders_vs_hires(ds, "xai")
    assert chart.title == chart.findings[0].sentence
    assert chart.alt.startswith(chart.title)
    data, _ = chart._repr_mimebundle_()
    assert data[MIME][0]["claims"][0]["metric"] == "hazard_ratio"


def test_a_statement_displays_markdown_and_carries_every_finding_as_json() -> None:
    ds = load()
    statement = Statement((people.departed(ds, "xai", "founder"), people.still_there(ds, "xai", "founder")), lead=True)
    bundle = statement._repr_mimebundle_()
    assert bundle["text/markdown"].startswith("**As of 2026-11-22")
    assert [f["id"] for f in bundle[MIME]] == [f.id for f in statement.findings]
    json.dumps(bundle[MIME])


RETURNS = {
    "sources_csv": FILES["sources.csv"] + "s5,Staff page,Our team,https://example.org/team2,2025-12-31,en,\n",
    "people_csv": FILES["people.csv"] + "grace,Grace G,acme,hire,,Engineer,\n",
    "evidence_csv": FILES["evidence.csv"]
    + "grace,acme,1,join,2021-03-01,2021-03-01,s2,joined,\n"
      "grace,acme,1,leave,2022-06-30,2022-06-30,s2,left,\n"
      "grace,acme,2,return,2024-01-02,2024-01-02,s3,came back,\n"
      "grace,acme,2,observed,2025-12-31,2025-12-31,s5,on the team page on the last day,\n",
}


def test_still_there_holds_only_up_to_the_last_sighting_and_returns_count_as_there(tmp_path) -> None:
    """Erin was last seen on 2025-11-30 (before the freeze date): not 'still there' but 'last seen'. Grace left
    and came back and a source shows her there on the freeze date: still there, in every count alike."""
    ds = load(write_dataset(tmp_path / "data", **RETURNS))
    latest = latest_spells(ds, Scope.of(ds, "acme")).set_index("person_id")
    assert latest.loc["erin", "status"] == "unseen"
    assert str(latest.loc["erin", "seen_until"].date()) == "2025-11-30"
    assert latest.loc["grace", "status"] == "active" and latest.loc["grace", "spell"] == 2
    remaining = compute("remaining_count", ds, company="acme")
    headcount = compute("headcount", ds, company="acme")
    assert remaining.person_ids["remaining"] == headcount.person_ids["remaining"] == ["grace"]
    assert remaining.person_ids["unseen"] == ["erin"]
    assert (remaining.lo, remaining.hi) == (headcount.lo, headcount.hi) == (1, 2)
    departed = compute("departed_count", ds, company="acme")
    assert "grace" not in departed.person_ids["departed"]
    sentence = people.still_there(ds, "acme", None).sentence
    assert "Grace G is still there" in sentence and "Erin E (last seen 2025-11-30)" in sentence
    first = spells(ds, Scope.of(ds, "acme")).set_index(["person_id", "spell"])
    assert first.loc[("erin", 1), "tenure_lo_days"] == (first.loc[("erin", 1), "seen_until"]
                                                         - first.loc[("erin", 1), "start_hi"]).days


def test_counts_in_sentences_separate_thousands() -> None:
    """'2,229 of 2,850 judges', as every table prints them (a court's page read '2229 of 2850')."""
    from attrition.text import range_text

    assert (range_text(2229, 2229), range_text(5, 6), range_text(999, 1_000)) == ("2,229", "5 to 6", "999 to 1,000")
