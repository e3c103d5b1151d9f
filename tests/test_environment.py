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


def _left_out() -> list[str]:
    """The packages the Makefile keeps out of the environment (LEFT_OUT)."""
    line = next(line for line in (REPO_ROOT / "Makefile").read_text().splitlines() if line.startswith("LEFT_OUT"))
    return line.split(":=", 1)[1].split()


def test_the_lock_is_complete_as_it_is_installed_without_dependencies() -> None:
    """`make setup` installs the lock with --no-deps: every package it pins must find every package it requires
    (extras aside) pinned beside it, at a version that satisfies it; and the packages left out stay out."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement

    lock = (REPO_ROOT / "requirements.lock").read_text().splitlines()
    pinned = {_name(line): line.split("==", 1)[1].strip() for line in lock if "==" in line and not line.startswith("#")}
    canonical = lambda name: re.sub(r"[-_.]+", "-", name).lower()
    pinned = {canonical(name): version for name, version in pinned.items()}
    checked = 0
    for name in pinned:
        try:
            needs = requires(name) or []
        except PackageNotFoundError:  # pinned but not installed here: nothing to read
            continue
        for text in needs:
            need = Requirement(text)
            if need.marker is not None and not need.marker.evaluate({"extra": ""}):
                continue
            assert canonical(need.name) in pinned, f"{name} requires {need}, which requirements.lock does not pin"
            assert need.specifier.contains(pinned[canonical(need.name)], prereleases=True), \
                f"{name} requires {need}; requirements.lock pins {pinned[canonical(need.name)]}"
            checked += 1
    assert checked > 100
    for name in _left_out():
        assert canonical(name) not in pinned, f"{name} is left out of the environment but pinned"


def test_importing_nbformat_does_not_compile_grammars() -> None:
    """What LEFT_OUT saves: nbformat (loaded by pytest's nbval plugin and by the report) imports without
    rfc3987_syntax, which jsonschema would otherwise load to compile its grammars."""
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import sys, nbformat; print('rfc3987_syntax' in sys.modules)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"
