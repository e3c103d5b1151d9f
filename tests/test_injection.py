"""Nothing dangerous through: a payload in every configuration and data field, every page loaded in headless
Chromium. Text fields carry it to the pages, where it must stay inert text (no script runs, nothing remote
loads, no script link); every other field (ids, dates, URLs, kinds, the report's words) refuses it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from conftest import FILES, write_dataset
from test_site_in_browser import CHROMEDRIVER, CHROMIUM, _browser

from attrition import DataError, load
from attrition.cli import main
from attrition.schema import TABLES

PAYLOAD = ("<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=1\"> [a](javascript:window.__pwned=1)"
           " ![p](https://evil.example/p.png) <a href=\"javascript:window.__pwned=1\">b</a> $\\alpha$ *em* `c`"
           " <iframe src=\"https://evil.example/f\"></iframe> =HYPERLINK(\"https://evil.example\")")
STRUCTURED = {("claims", "metric"), ("claims", "params"), ("claims", "reported"), ("claims", "tolerance"),
              ("people", "team_variants"), ("corrections", "source_ids")}
"""Text columns with a grammar of their own, checked by validate (tested in test_refused_fields below)."""
EXTRA = {
    "claims.csv": "claim_id,source_id,claim,as_of,metric,params,reported,reading,tolerance,note\n"
                  "c1,s3,Half the founders left,2022-06-01,departed_share,company=acme; cohort=founder,0.5,exact,,why\n",
    "companies.csv": "company,name,observed_until,team_variants,aliases,note\nacme,Acme,,,Acme Inc,closed\n",
    "moves.csv": "person_id,company,spell,destination,destination_company,category,earliest,latest,source_id,"
                 "paraphrase,note\nalice,acme,1,Lab Z,,ai_lab,2021-02-01,2021-02-28,s2,joined Lab Z,\n",
    "corrections.csv": "edition,person_id,company,spell,event,change,before,after,source_ids,reason\n"
                       "2025-12-31,alice,acme,1,leave,narrowed,2021-01-01..2021-01-31,2021-01-01..2021-01-01,s1,why\n",
}
EXPORT = "id,name,team,start,end,why\na,Ann,red,2020-01-01,2021-01-01,resigned\nb,Bea,blue,2020-02-01,,\n" \
         "c,Cy,red,2020-03-01,2020-09-01,left\n"


def _text_columns(file: str) -> list[str]:
    spec = next(s for s in TABLES.values() if s.file == file)
    return [c.name for c in spec.columns if c.kind == "text" and (spec.name, c.name) not in STRUCTURED]


def _poisoned(text: str, file: str) -> str:
    """Every text cell of a CSV file with the payload appended (the value before it keeps rows distinct)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0]) if rows else next(csv.reader(io.StringIO(text)))
    for row in rows:
        for column in _text_columns(file):
            if column in row:
                row[column] = f"{row[column]} {PAYLOAD}".strip()
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _dataset(folder: Path) -> Path:
    files = {**FILES, **EXTRA}
    write_dataset(folder, **{name.replace(".", "_"): _poisoned(text, name) for name, text in FILES.items()
                             if name.endswith(".csv")})
    for name, text in EXTRA.items():
        (folder / name).write_text(_poisoned(text, name), encoding="utf-8")
    (folder / "roster").mkdir()
    (folder / "roster" / "export.csv").write_text(_poisoned_export(), encoding="utf-8")
    quoted = PAYLOAD.replace("\\", "\\\\").replace('"', '\\"')
    (folder / "roster" / "mapping.toml").write_text(
        f'[roster]\nperson_column = "id"\nname_column = "name"\ngroup_column = "team"\nreason_column = "why"\n'
        f'company = "Acme {quoted}"\nstart_column = "start"\nend_column = "end"\nobserved_until = "2022-01-01"\n'
        f'source_title = "HR {quoted}"\n', encoding="utf-8")
    assert files
    return folder


def _poisoned_export() -> str:
    rows = list(csv.reader(io.StringIO(EXPORT)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerows([[r[0], f"{r[1]} {PAYLOAD}", f"{r[2]} {PAYLOAD}", r[3], r[4], f"{r[5]} {PAYLOAD}".strip()]
                      for r in rows[1:]])
    return out.getvalue()


def _config(folder: Path, company: str) -> None:
    quoted = PAYLOAD.replace("\\", "\\\\").replace('"', '\\"')
    (folder / "dataset.toml").write_text(
        f'[dataset]\nfreeze_date = "2025-12-31"\n[wording]\nhire = "staff"\n[report]\nheadline_claims = ["c1"]\n'
        f'[[report.examples]]\nname = "hr"\ntitle = "{quoted}"\nintro = "{quoted}"\nexport = "roster/export.csv"\n'
        f'mapping = "roster/mapping.toml"\ncompanies = ["{company}"]\n', encoding="utf-8")


INERT = r"""
const out = {ran: window.__pwned === 1, bad: [], remote: []};
document.querySelectorAll("[src], [href], [srcset], [action], [formaction]").forEach(e => {
  for (const attr of ["src", "href", "srcset", "action", "formaction"]) {
    const v = (e.getAttribute(attr) || "").replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
    if (/^(javascript|vbscript|data:text)/.test(v) || (/^(https?:)?\/\//.test(v) && e.tagName !== "A"))
      out.bad.push(e.tagName + " " + attr + "=" + v.slice(0, 60));
  }
});
document.querySelectorAll("a[href]").forEach(a => {
  const v = a.getAttribute("href").trim().toLowerCase();
  if (!/^(https?:\/\/|#|[a-z0-9_./-]*\.(html|csv|png|svg|css|zip|json)(#.*)?$)/.test(v)) out.bad.push("A href=" + v.slice(0, 60));
});
performance.getEntriesByType("resource").forEach(r => { if (/^https?:/.test(r.name)) out.remote.push(r.name); });
document.querySelectorAll("iframe, object, embed").forEach(e => out.bad.push(e.tagName));
return out;
"""


@pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                    reason="headless Chromium not installed (apt-get install chromium chromium-driver; .ci/run does)")
def test_a_payload_in_every_field_stays_inert_on_every_page(tmp_path) -> None:
    from attrition.io.importers.roster import import_roster
    from attrition.site.pages import Site

    folder = _dataset(tmp_path / "data")
    import_roster(folder / "roster" / "export.csv", folder / "roster" / "mapping.toml", tmp_path / "probe")
    company = load(tmp_path / "probe").companies[0]
    _config(folder, company)
    site = tmp_path / "site"
    assert main(["validate", "--data", str(folder)]) == 0, "every payload here sits in a free-text field"
    assert main(["report", "--data", str(folder), "--out", str(site)]) == 0
    story = tmp_path / "story"  # the pages only a story dataset has: headline claims, a page per person
    story.mkdir()
    Site(load(folder)).write_pages(story, [], story=True)
    pages = sorted([*site.rglob("*.html"), *story.rglob("*.html")])
    assert len(pages) >= 12 and any("people" in p.parts for p in pages) and (site / "hr").is_dir()
    shown = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "window.__pwned=1" in shown, "the payload reaches the pages (as text)"
    driver = _browser(1280)
    try:
        for page in pages:
            driver.get(page.as_uri())
            seen = driver.execute_script(INERT)
            where = page.relative_to(tmp_path)
            assert not seen["ran"], f"{where}: a script from the data ran"
            assert seen["bad"] == [], f"{where}: {seen['bad'][:5]}"
            assert seen["remote"] == [], f"{where}: fetched {seen['remote'][:5]}"
    finally:
        driver.quit()
    downloads = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.csv"))
    assert not re.search(r'(^|,|")=HYPERLINK', downloads, flags=re.M), "every download cell is formula-safe"


def _fields() -> list[tuple[str, str]]:
    return [(spec.file, c.name) for spec in TABLES.values() for c in spec.columns
            if (c.kind != "text" or (spec.name, c.name) in STRUCTURED) and spec.file in {**FILES, **EXTRA}]


CLAIM_GRAMMAR = {("claims.csv", column) for column in ("metric", "params", "reported", "tolerance")}
"""A claim's metric, parameters, reported value and tolerance are read only once the data is clean, one after the
other: a payload in each is tried on its own."""


def _batches() -> dict[str, tuple[str, tuple[str, ...]]]:
    """The fields of `_fields`, a file's at once (each is its own cell's rule, and the refusal names its column),
    but the claims' grammar, one field at a time."""
    batches: dict[str, tuple[str, tuple[str, ...]]] = {}
    for file, column in _fields():
        if (file, column) in CLAIM_GRAMMAR:
            batches[f"{file}-{column}"] = (file, (column,))
        else:
            batches[file] = (file, (*batches.get(file, (file, ()))[1], column))
    return batches


@pytest.mark.parametrize("file, columns", _batches().values(), ids=_batches())
def test_a_payload_in_a_field_that_is_not_free_text_is_refused(tmp_path, file, columns) -> None:
    from attrition.claims.file import claim_problems

    folder = write_dataset(tmp_path / "data")
    for name, text in EXTRA.items():
        (folder / name).write_text(text, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO((folder / file).read_text(encoding="utf-8"))))
    rows[0].update(dict.fromkeys(columns, PAYLOAD))
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (folder / file).write_text(out.getvalue(), encoding="utf-8")
    try:
        problems = claim_problems(load(folder))
    except DataError as err:
        problems = err.problems
    named = {p.column for p in problems if p.file == file}
    assert [c for c in columns if c not in named] == [], f"{file}: the payload was accepted here"


CONFIG_FIELDS = ["dataset.freeze_date", "engine.name", *(f"wording.{k}" for k in ("founder", "hire", "executive",
                 "people", "company")), "report.story", "report.answer_page", "report.headline_claims",
                 "report.founder_claims_since", "report.site_url", "example.name", "example.export", "example.mapping",
                 "example.companies"]
"""Every setting of dataset.toml but an example's title and intro, which are free text (inert on the pages above)."""


@pytest.mark.parametrize("field", CONFIG_FIELDS)
def test_a_payload_in_any_other_setting_is_refused_with_its_line(tmp_path, capsys, field) -> None:
    folder = _dataset(tmp_path / "data")
    _config(folder, "acme-ltd")
    table, key = field.split(".")
    quoted = '"' + PAYLOAD.replace("\\", "\\\\").replace('"', '\\"') + '"'
    value = f"[{quoted}]" if key in ("headline_claims", "companies") else quoted
    lines = (folder / "dataset.toml").read_text(encoding="utf-8").splitlines()
    header = "[[report.examples]]" if table == "example" else f"[{table}]"
    if header not in lines:
        lines.append(header)
    at = lines.index(header) + 1
    lines = [line for line in lines if not (line.startswith(f"{key} =") and lines.index(line) >= at - 1)]
    lines.insert(at, f"{key} = {value}")
    (folder / "dataset.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    column = {"dataset.freeze_date": "freeze_date", "engine.name": "engine"}.get(field, f"[a-z_.\\[\\]1]*{key}")  # their old names
    assert re.search(rf"error: dataset.toml:{at + 1}: column '{column}'", err), err


MAPPING_FIELDS = ["person_column", "start_column", "end_column", "company_column", "name_column", "group_column",
                  "reason_column", "cohort_column", "observed_until_column", "start_precision_column",
                  "end_precision_column", "date_format", "precision", "observed_until"]
"""Every key of a mapping file but company and source_title, which are free text (inert on the pages above)."""


@pytest.mark.parametrize("key", MAPPING_FIELDS)
def test_a_payload_in_any_other_mapping_key_is_refused(tmp_path, capsys, key) -> None:
    folder = _dataset(tmp_path / "data")
    mapping = folder / "roster" / "mapping.toml"
    quoted = '"' + PAYLOAD.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [line for line in mapping.read_text(encoding="utf-8").splitlines() if not line.startswith(f"{key} =")]
    if key == "company_column":
        lines = [line for line in lines if not line.startswith("company =")]
    mapping.write_text("\n".join([*lines, f"{key} = {quoted}"]) + "\n", encoding="utf-8")
    assert main(["import", "roster", str(folder / "roster" / "export.csv"), "--mapping", str(mapping),
                 "--out", str(tmp_path / "out")]) == 2
    assert re.search(r"^error: (mapping\.toml|export\.csv):\d+: ", capsys.readouterr().err, flags=re.M)
    assert not (tmp_path / "out").exists()
