"""The three descriptions of the environment must agree, or conda users and CI drift apart."""

from __future__ import annotations

import re
import tomllib

import yaml

from attrition.locations import REPO_ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower()


def _pyproject_requirements() -> list[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["dev"]


def test_environment_yml_names_the_same_dependencies_as_pyproject() -> None:
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = [r for r in pip_section if not r.startswith("-")]
    assert sorted(listed) == sorted(_pyproject_requirements())
    assert "python=3.11" in env["dependencies"]


def test_every_dependency_is_pinned_in_the_lock_file() -> None:
    lock = (REPO_ROOT / "requirements.lock").read_text().splitlines()
    pinned = {_name(line): line for line in lock if "==" in line and not line.startswith("#")}
    for requirement in _pyproject_requirements():
        assert _name(requirement) in pinned, f"{requirement} is not pinned in requirements.lock"
    assert pinned["pandas"].startswith("pandas==2."), "lifelines needs pandas < 3"
