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
    """Tests never read or write the user's own cache of built datasets."""
    folder = tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("ATTRITION_CACHE", str(folder))
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


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data")


@pytest.fixture
def ds(data_dir: Path):
    from attrition import load

    return load(data_dir)
