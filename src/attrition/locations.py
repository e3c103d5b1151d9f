"""Where things are by default: the repository's data, notebooks and example folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = Path(os.environ.get("ATTRITION_DATA", REPO_ROOT / "data"))
"""The repository's data/, unless ATTRITION_DATA names another folder (the report sets it for its notebooks)."""
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
