"""A small synthetic roster with known answers, written to a temporary data folder per test.

Company `acme`, freeze date 2025-12-31, four founders and two hires:
- alice (founder) leaves 2021-01-01 (day precision)
- bob (founder) leaves in March 2022 (month precision)
- carol (founder) leaves in Feb 2023 per one source and May 2023 per another (a conflict)
- dan (founder) steps back on 2024-06-15
- erin (hire) joins in Feb 2021, still there
- frank (hire) joins 2021-06-01, leaves 2022-06-30, returns 2023-01-10, leaves in 2024 (year precision)
Last observations: bob 2022-02-15, carol 2022-12-01, dan 2024-06-01, erin 2025-11-30 (the team page).
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

FILES = {
    "dataset.toml": '[dataset]\nfreeze_date = "2025-12-31"\n',
    "sources.csv": """source_id,publisher,title,url,published,language,note
s1,Acme Blog,Launch,https://example.org/launch,2020-01-01,en,
s2,Daily,Moves,,2022-04-02,en,
s3,Weekly,More moves,https://example.org/w,2024-06-20,en,
s4,Staff page,Our team,https://example.org/team,2025-12-01,en,
""",
    "people.csv": """person_id,name,company,cohort,prior_affiliations,role,note
alice,Alice A,acme,founder,Lab A;Lab B,CEO,
bob,Bob B,acme,founder,Lab A,CTO,
carol,Carol C,acme,founder,,Research,
dan,Dan D,acme,founder,,Research,
erin,Erin E,acme,hire,Lab C,Engineer,
frank,Frank F,acme,hire,,Engineer,
""",
    "evidence.csv": """person_id,company,spell,event,earliest,latest,source_id,paraphrase,note
alice,acme,1,join,2020-01-01,2020-01-01,s1,on the launch team,
bob,acme,1,join,2020-01-01,2020-01-01,s1,on the launch team,
carol,acme,1,join,2020-01-01,2020-01-01,s1,on the launch team,
dan,acme,1,join,2020-01-01,2020-01-01,s1,on the launch team,
alice,acme,1,leave,2021-01-01,2021-01-01,s1,last day,
bob,acme,1,leave,2022-03-01,2022-03-31,s2,left in March,
carol,acme,1,leave,2023-02-01,2023-02-28,s2,left in February,
carol,acme,1,leave,2023-05-01,2023-05-31,s3,left in May,
dan,acme,1,step_back,2024-06-15,2024-06-15,s3,became an adviser,
erin,acme,1,join,2021-02-01,2021-02-28,s2,joined in February,
frank,acme,1,join,2021-06-01,2021-06-01,s2,joined,
frank,acme,1,leave,2022-06-30,2022-06-30,s2,left,
frank,acme,2,return,2023-01-10,2023-01-10,s3,came back,
frank,acme,2,leave,2024-01-01,2024-12-31,s3,left again in 2024,
bob,acme,1,observed,2022-02-15,2022-02-15,s2,still on the team in February,
carol,acme,1,observed,2022-12-01,2022-12-01,s3,still on the team in December 2022,
dan,acme,1,observed,2024-06-01,2024-06-01,s3,still on the team on 1 June,
erin,acme,1,observed,2025-11-30,2025-11-30,s4,listed on the team page,
""",
    "milestones.csv": """company,milestone_id,label,earliest,latest,source_id,note
acme,founded,Founded,2020-01-01,2020-01-01,s1,
acme,founded,Founded,2019-11-01,2019-11-30,s2,a second version
acme,product,Product launch,2021-03-01,2021-03-31,s2,
""",
    "reported_counts.csv": """count_id,company,measure,start,end,value,qualifier,scope_note,source_id
acme-staff-2022,acme,employees,2022-04-01,2022-04-01,30,about,all staff,s2
acme-hires-2021,acme,hires,2021-01-01,2021-12-31,5,at_least,named and unnamed,s2
""",
}


def write_dataset(folder: Path, **overrides: str | bytes | None) -> Path:
    """Write the synthetic dataset, replacing (or, with None, deleting) files named like `people_csv`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        key = name.replace(".", "_")
        content = overrides.get(key, text)
        if content is None:
            continue
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory) -> Path:
    """Tests never read or write the user's own cache of built datasets. The shipped data is validated into it first,
    as `make report` does before anything else: the many tests that read it then open what was checked, as a user's
    commands do, instead of each checking the files again (a test of the cache itself gives it a folder of its own)."""
    from attrition.cli import main

    folder = tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("ATTRITION_CACHE", str(folder))
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["validate"]) == 0
    yield folder
    patch.undo()


@pytest.fixture(autouse=True, scope="session")
def quick_jvm() -> None:
    """Spark's JVM (started once, on first use) compiles with its quick compiler only and collects garbage on one
    thread: the tests' thousands of small queries take about half the CPU time (a JVM's speed, never its results)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("JAVA_TOOL_OPTIONS", " ".join(filter(None, [os.environ.get("JAVA_TOOL_OPTIONS"),
                                                             "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"])))
    yield
    patch.undo()


def pytest_configure(config: pytest.Config) -> None:
    """nbval's kernels start once more if one dies before it answers (it is given free TCP ports that another
    process, the other worker's kernel or browser, can take before it binds them): a notebook's checks are about
    its outputs, and a kernel that never started has none. A second death still fails the notebook's tests."""
    import nbval.kernel

    start = nbval.kernel.start_new_kernel

    def start_again_if_it_died(*args, **kwargs):
        try:
            return start(*args, **kwargs)
        except RuntimeError as err:
            if "died" not in str(err):  # "Kernel died before replying to kernel_info"; a time-out is not retried
                raise
            return start(*args, **kwargs)

    nbval.kernel.start_new_kernel = start_again_if_it_died


SHARED_SITE = "shipped-site"
GROUPS = {"tests/test_report.py": SHARED_SITE, "tests/test_site_in_browser.py": SHARED_SITE,
          "tests/test_findings.py": SHARED_SITE}
"""Test files that read one session's fixture run as one group on one worker, so the fixture is made once; every
other file is a group of its own (one worker runs a file whole and in order: a notebook's cells share one kernel,
a module's fixtures are made once)."""
LONGEST_FIRST = (SHARED_SITE, "tests/test_spark.py", "tests/test_injection.py", "tests/test_strict_input.py",
                 "tests/test_figures.py", "tests/test_tables_and_metrics.py", "tests/test_bad_input.py",
                 "tests/test_fuzz.py", "notebooks/04_claims_ledger.ipynb")
"""Groups handed to the workers first: the longest, so that both workers finish at about the same time instead of
one starting a long file when the other is done."""


def group(nodeid: str) -> str:
    """The group a test runs in: its file's, or the one GROUPS gives the file."""
    path = nodeid.split("::")[0]
    return GROUPS.get(path, path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The groups of LONGEST_FIRST first, then the other notebooks (several seconds each), then the rest (mostly
    short); the tests within each group in the order collected."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    later = lambda name: len(rank) + (0 if name.startswith("notebooks/") else 1)  # noqa: E731
    items.sort(key=lambda item: rank.get(group(item.nodeid), later(group(item.nodeid))))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Hand out whole groups, in the order collected (xdist's own `loadgroup` needs a mark on every test, and its
    marks no longer reach the scheduler under pytest 9)."""
    from xdist.scheduler import LoadScopeScheduling

    class Groups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid)

    config.option.loadscopereorder = False
    return Groups(config, log)


def examples_run(config: pytest.Config) -> bool:
    """Whether `shipped_site` runs the example rosters: not where the slow tests are left out (`make test`), which
    are the tests that read their pages."""
    return "not slow" not in config.getoption("markexpr")


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory, request) -> Path:
    """The site `attrition report` makes from this repository's data (the committed notebooks rendered as they are,
    and, with the slow tests, the example rosters run), made once per session for the files of the SHARED_SITE
    group."""
    from attrition import load
    from attrition.locations import DEFAULT_DATA_DIR
    from attrition.site.report import make_report

    out = tmp_path_factory.mktemp("shipped") / "site"
    with contextlib.redirect_stdout(io.StringIO()):
        make_report(load(), DEFAULT_DATA_DIR, out, execute=False, examples=examples_run(request.config))
    return out


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data")


@pytest.fixture
def ds(data_dir: Path):
    from attrition import load

    return load(data_dir)
