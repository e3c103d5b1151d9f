"""The committed notebooks reproduce byte for byte on one DuckDB thread and on two, and with numpy's newest
CPU paths switched off (on a machine without AVX-512 that run equals the plain one; test_precision.py is
what covers the difference there). Slow: each case re-executes every notebook under nbval (`make test-all`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from attrition.locations import NOTEBOOK_DIR, REPO_ROOT

CASES = {
    "one DuckDB thread": {"ATTRITION_THREADS": "1"},
    "two DuckDB threads": {"ATTRITION_THREADS": "2"},
    "numpy's AVX-512 paths off": {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"},
}


@pytest.mark.slow
@pytest.mark.parametrize("env", list(CASES.values()), ids=list(CASES))
def test_every_notebook_reproduces_its_committed_outputs(env: dict[str, str], tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         f"--nbval-sanitize-with={REPO_ROOT / 'tests' / 'nbval_sanitize.cfg'}", "-o", "addopts=", str(NOTEBOOK_DIR)],
        cwd=REPO_ROOT, env={**os.environ, "ATTRITION_CACHE": str(tmp_path / "cache"), **env},
        capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-4000:]
