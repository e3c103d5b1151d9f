"""The README's example commands must print exactly what the README says they print."""

from __future__ import annotations

import re
import shlex

import pytest

from attrition.cli import main
from attrition.locations import REPO_ROOT


def _examples() -> list[tuple[str, str]]:
    text = (REPO_ROOT / "README.md").read_text()
    pairs = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for command, output in re.findall(r"^\$ (attrition .*)\n((?:(?!\$ ).*\n)*)", block, re.M):
            pairs.append((command, output))
    return pairs


def test_readme_has_examples() -> None:
    assert len(_examples()) >= 4


@pytest.mark.parametrize("command, expected", _examples())
def test_readme_example_output(command: str, expected: str, capsys, tmp_path_factory, monkeypatch) -> None:
    # Run where the README's reader would, in a checkout, but let anything written land in a scratch folder.
    work = tmp_path_factory.getbasetemp() / "readme"
    if not work.exists():
        work.mkdir()
        (work / "data").symlink_to(REPO_ROOT / "data")
    monkeypatch.chdir(work)
    assert main(shlex.split(command)[1:]) == 0
    assert capsys.readouterr().out == expected
