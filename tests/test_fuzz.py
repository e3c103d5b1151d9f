"""Random mutations of the shipped data never give a traceback: exit 0, or exit 2 with located errors.

Hypothesis mutates copies of data/ (tricky bytes inserted, lines duplicated, swapped or cut, files
truncated) and runs `validate` and `build` on each. They must agree: build refuses whatever
validate refuses, except problems in claims.csv, which only validate, claims and report check.
Derandomised, so every run tries the same cases; each command must finish within a time bound. The
properties that try many cases or run whole commands on the shipped data try a quarter of their cases in
`make test` and all of them in `make test-all` (`sized`).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrition.cli import main
from attrition.locations import REPO_ROOT

FILES = sorted(p.name for p in (REPO_ROOT / "data").iterdir() if p.suffix in (".csv", ".toml"))
TRICKY = ['"', ",", "\n", "\r", "\x00", "\x1b[2J", "\u0662", "\ufeff", "\xa0", "=HYPERLINK(", '""', "2262-04-12",
          "0001-01-01", "1e400", "nan", "-1", "", "[dataset]", "javascript:x", "\\", ";", "|", "\t", "é", "\udcff"]
LOCATED = re.compile(r"^error: (\S+\.(csv|toml))(:\d+)?: |^error: data directory|^\d+ problem\(s\) found")
SECONDS = 10


@st.composite
def mutation(draw):
    name = draw(st.sampled_from(FILES))
    kind = draw(st.sampled_from(["insert", "delete", "truncate", "duplicate_line", "swap_lines", "replace"]))
    where = draw(st.floats(min_value=0, max_value=1, allow_nan=False))
    text = draw(st.sampled_from(TRICKY) | st.text(max_size=6))
    return name, kind, where, text


def _apply(folder: Path, name: str, kind: str, where: float, text: str) -> None:
    path = folder / name
    data = path.read_bytes()
    at = int(where * len(data))
    payload = text.encode("utf-8", "surrogateescape")
    lines = data.split(b"\n")
    i = int(where * (len(lines) - 1))
    if kind == "insert":
        data = data[:at] + payload + data[at:]
    elif kind == "delete":
        data = data[:at] + data[at + 1 + len(payload):]
    elif kind == "truncate":
        data = data[:at]
    elif kind == "duplicate_line":
        data = b"\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
    elif kind == "swap_lines":
        j = min(i + 1, len(lines) - 1)
        lines[i], lines[j] = lines[j], lines[i]
        data = b"\n".join(lines)
    else:
        data = data[:at] + payload + data[at + len(payload):]
    path.write_bytes(data)


def sized(full: int) -> pytest.MarkDecorator:
    """A property's number of examples: a quarter of `full` in `make test`, all of them in `make test-all` (slow)."""
    return pytest.mark.parametrize("examples", [pytest.param(full // 4, id=f"{full // 4} examples"),
                                                pytest.param(full, id=f"{full} examples", marks=pytest.mark.slow)])


def explore(body, examples: int, **strategies):
    """`body` as a Hypothesis test of `examples` derandomised cases drawn from `strategies`."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])(
        given(**strategies)(body))


def _run(args: list[str], capsys) -> tuple[int, str]:
    started = time.perf_counter()
    code = main(args)
    assert time.perf_counter() - started < SECONDS, f"{args[0]} took too long"
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unexpected" not in err, err
    return code, err


@sized(20)
def test_mutated_data_gives_exit_0_or_a_located_exit_2(tmp_path_factory, capsys, examples) -> None:
    explore(_mutated_data, examples, mutations=st.lists(mutation(), min_size=1, max_size=3))(tmp_path_factory, capsys)


def _mutated_data(tmp_path_factory, capsys, mutations) -> None:
    folder = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(REPO_ROOT / "data", folder, ignore=shutil.ignore_patterns("processed", "aiwatch"))
    for m in mutations:
        _apply(folder, *m)
    validated, v_err = _run(["validate", "--data", str(folder)], capsys)
    built, b_err = _run(["build", "--data", str(folder), "--out", str(folder.parent / "out")], capsys)
    assert {validated, built} <= {0, 2}
    for err in (v_err, b_err):
        for line in filter(None, err.splitlines()):
            assert LOCATED.match(line), f"not located: {line}"
    if built == 2:
        assert validated == 2, "build refused data that validate accepted"
    elif validated == 2:
        # validate also checks what only `claims` and `report` use: the claims, and the report's settings
        # (an example roster's files) in dataset.toml
        problems = [line for line in v_err.splitlines() if line.startswith("error:")]
        assert all(line.startswith(("error: claims.csv", "error: dataset.toml")) for line in problems), \
            "validate refused more than claims and the report's settings"


ROSTER_CELLS = ["2020-01-01", "2021-06-30", "2024-02-29", "2030-01-01", "1650-01-01", "2021-02-30", "01/02/2020", "",
                "NA", "null", "a", "Ann Lee", "ann-lee", "李明", "=1+1", '"', "\n", "\x1b", " 2020-03-01 ", "-", "founder"]
ROSTER_MAPPING = """[roster]
person_column = "id"
name_column = "name"
company_column = "company"
start_column = "start"
end_column = "end"
observed_until_column = "seen"
cohort_column = "cohort"
observed_until = "2025-01-01"
"""


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(*[st.sampled_from(ROSTER_CELLS) | st.text(max_size=4)] * 2,
                               *[st.sampled_from(ROSTER_CELLS)] * 5), min_size=0, max_size=8))
def test_any_roster_export_imports_clean_or_is_refused_in_its_own_terms(tmp_path_factory, capsys, rows) -> None:
    import csv

    folder = tmp_path_factory.mktemp("roster")
    with open(folder / "export.csv", "w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "company", "start", "end", "seen", "cohort"])
        writer.writerows(rows)
    (folder / "mapping.toml").write_text(ROSTER_MAPPING)
    _import_refused_where_or_valid(folder, capsys, r"export\.csv")


def _import_refused_where_or_valid(folder: Path, capsys, files: str) -> None:
    """Import folder's export.csv with its mapping.toml: either exit 2 with every error located in one of `files`
    (a regular expression) and nothing written, or exit 0 with a dataset that validates."""
    out = folder / "out"
    code, err = _run(["import", "roster", str(folder / "export.csv"), "--mapping", str(folder / "mapping.toml"),
                      "--out", str(out)], capsys)
    if code == 2:
        assert not out.exists()
        for line in filter(None, err.splitlines()):
            assert re.match(rf"^error: {files}(:\d+)?: |^\d+ problem\(s\) found", line), f"not located: {line}"
    else:
        assert code == 0
        validated, v_err = _run(["validate", "--data", str(out)], capsys)
        assert validated == 0, f"the import wrote a dataset that does not validate:\n{v_err}"


def _toml_value(value) -> str:
    """A value written as TOML (the writer the configuration tests need; tomllib only reads)."""
    import json
    from datetime import date, datetime

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value).replace("inf", "inf").replace("nan", "nan")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml_key(key: str) -> str:
    import json

    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml(tables: dict) -> str:
    lines = []
    for name, table in tables.items():
        if isinstance(table, dict):
            lines.append(f"[{_toml_key(name)}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
        else:
            lines.insert(0, f"{_toml_key(name)} = {_toml_value(table)}")
    return "\n".join(lines) + "\n"


PAYLOADS = ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "../../x", "/etc/passwd", "$\\foo$", "labs",
            "acme", "c1", "2025-01-01", "https://example.org", "javascript:alert(1)", "", "\x1b[2J", "a\nb"]
SCALARS = (st.sampled_from(PAYLOADS) | st.text(max_size=8) | st.integers(-3, 3) | st.booleans()
           | st.dates() | st.datetimes() | st.floats(allow_nan=True))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["name", "title", "intro", "export", "mapping", "companies", "x"]), inner, max_size=4), max_leaves=8)
CONFIG_KEYS = {
    "dataset": ["freeze_date", "imported_from", "mapping"], "engine": ["name"],
    "wording": ["founder", "hire", "executive", "people", "company", "staff"],
    "report": ["story", "answer_page", "headline_claims", "founder_claims_since", "site_url", "examples"],
}


@st.composite
def config(draw):
    from datetime import date

    tables = {"dataset": {"freeze_date": draw(st.just("2025-12-31") | st.just(date(2025, 12, 31)) | VALUES)}}
    for name in draw(st.lists(st.sampled_from([*CONFIG_KEYS, "other"]), max_size=3, unique=True)):
        keys = CONFIG_KEYS.get(name, ["x"])
        chosen = draw(st.lists(st.sampled_from(keys), max_size=3, unique=True))
        tables[name] = {k: draw(VALUES) for k in chosen} if draw(st.booleans()) or name == "dataset" else draw(VALUES)
    return tables


@sized(30)
def test_any_dataset_toml_gives_exit_0_or_a_located_exit_2(tmp_path_factory, capsys, examples) -> None:
    """Random settings of every kind in every table of dataset.toml: no traceback, no catch-all, and what
    validate accepts, build and claims accept too."""
    explore(_any_dataset_toml, examples, tables=config())(tmp_path_factory, capsys)


def _any_dataset_toml(tmp_path_factory, capsys, tables) -> None:
    from conftest import write_dataset

    folder = write_dataset(tmp_path_factory.mktemp("config") / "data", dataset_toml=_toml(tables))
    codes = {}
    for command in (["validate"], ["build", "--out", str(folder.parent / "out")], ["claims"]):
        code, err = _run([*command, "--data", str(folder)], capsys)
        assert code in (0, 2)
        for line in filter(None, err.splitlines()):
            assert LOCATED.match(line), f"not located: {line}"
        codes[command[0]] = code
    assert codes["validate"] == 2 or set(codes.values()) == {0}, codes
    if codes["validate"] == 0:  # what the report reads of the settings is what it needs (its pages, its words)
        from attrition import load
        from attrition.measures.overview import words
        from attrition.site.pages import Site

        ds = load(folder)
        assert set(words(ds)) >= {"people", "company"}
        site = folder.parent / "site"
        site.mkdir()
        Site(ds).write_pages(site, [], story=bool(ds.config.get("report", {}).get("story")))


MAPPING_VALUES = st.sampled_from(["id", "name", "company", "start", "end", "seen", "cohort", "nope", "%d/%m/%Y",
                                  "month", *PAYLOADS])


MAPPING_CHANGES = st.dictionaries(st.sampled_from(["person_column", "name_column", "company", "company_column",
                                                   "start_column", "end_column", "observed_until_column",
                                                   "cohort_column", "date_format", "precision", "observed_until",
                                                   "source_title", "group_column", "colour"]),
                                  MAPPING_VALUES | SCALARS | VALUES, min_size=1, max_size=2)


@sized(200)
def test_any_mapping_file_imports_clean_or_is_refused_in_its_own_terms(tmp_path_factory, capsys, examples) -> None:
    explore(_any_mapping_file, examples, changes=MAPPING_CHANGES,
            dropped=st.lists(st.sampled_from(["person_column", "start_column", "company_column", "observed_until"]),
                             max_size=1))(tmp_path_factory, capsys)


def _any_mapping_file(tmp_path_factory, capsys, changes, dropped) -> None:
    import tomllib

    folder = tmp_path_factory.mktemp("mapping")
    (folder / "export.csv").write_text("id,name,company,start,end,seen,cohort\na,Ann,Acme,2020-01-01,2021-01-01,,hire\n"
                                       "b,Bea,Acme,2020-02-01,,2024-06-01,founder\n", encoding="utf-8")
    section = {**tomllib.loads(ROSTER_MAPPING)["roster"], **changes}
    (folder / "mapping.toml").write_text(_toml({"roster": {k: v for k, v in section.items() if k not in dropped}}),
                                         encoding="utf-8")
    _import_refused_where_or_valid(folder, capsys, r"(export\.csv|mapping\.toml)")


EDGES = [(company, cohort, as_of) for company in ("xai", "openai") for cohort in (None, "founder", "executive")
         for as_of in (None, "2016-01-01", "2023-07-12")]
"""Scopes at the edges of the shipped data: a company before it existed, on its founding day, a cohort it may lack."""
ODD = {"start": "2023-07-12", "end": "2023-07-12", "baseline_start": "2015-12-11", "baseline_end": "2015-12-11",
       "days": "0", "at_years": "0.001", "person": "igor-babuschkin", "milestone_id": "founded",
       "count_id": "qbitai-technical-staff-2024-04", "hours": "80", "affiliation": "OpenAI", "versus_company": "openai",
       "table": "people", "category": "founded", "variant": "A", "reason": "retired", "rate_id": "carta-q1-2017-3y",
       "to_company": "xai"}
"""Every other parameter at an edge: windows of one day, a tenure of no days, years of less than a day."""


@pytest.mark.slow
def test_every_metric_at_the_edges_gives_json_or_a_located_error(capsys) -> None:
    """Empty windows, empty cohorts and days before anyone joined: each metric answers in JSON (no Infinity or NaN,
    which JSON lacks) or says in words why it cannot; nothing is unexpected."""
    from attrition.measures.registry import METRICS, flag

    for metric in METRICS.values():
        for company, cohort, as_of in EDGES:
            given = {"company": company, "cohort": cohort, "as_of": as_of, **ODD}
            args = ["metric", metric.name, "--format", "json"]
            for name in metric.parameters:
                if given.get(name) is not None:
                    args += [flag(name), given[name]]
            code = main(args)
            out, err = capsys.readouterr()
            if code == 0:
                json.loads(out, parse_constant=lambda constant, asked=args: pytest.fail(f"{constant}: {asked}"))
            else:
                assert code == 2 and err.startswith("error: ") and "unexpected" not in err, (args, err)
